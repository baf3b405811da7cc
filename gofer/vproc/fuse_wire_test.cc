// Decoder and encoder tests: well-formed requests, and malformed, truncated
// and unknown ones (which must give an error or ENOSYS, never a crash).
#include "gofer/vproc/fuse_wire.h"

#include <dirent.h>
#include <string.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gofer::vproc {
namespace {

// A request: header (len filled in) + body bytes.
std::vector<uint8_t> MakeRequest(uint32_t opcode, uint64_t unique, uint64_t nodeid, const void* body,
                                 size_t body_size) {
  fuse_in_header header{};
  header.len = static_cast<uint32_t>(sizeof(header) + body_size);
  header.opcode = opcode;
  header.unique = unique;
  header.nodeid = nodeid;
  std::vector<uint8_t> out(sizeof(header) + body_size);
  memcpy(out.data(), &header, sizeof(header));
  if (body_size) memcpy(out.data() + sizeof(header), body, body_size);
  return out;
}

template <typename T>
std::vector<uint8_t> MakeRequest(uint32_t opcode, uint64_t unique, const T& body) {
  return MakeRequest(opcode, unique, 1, &body, sizeof(body));
}

TEST(FuseWireTest, DecodesRead) {
  fuse_read_in in{};
  in.fh = 7;
  in.offset = 100;
  in.size = 4096;
  auto request = DecodeRequest(MakeRequest(FUSE_READ, 42, in));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->unique, 42u);
  auto* read = std::get_if<ReadIn>(&request->body);
  ASSERT_NE(read, nullptr);
  EXPECT_EQ(read->fh, 7u);
  EXPECT_EQ(read->offset, 100u);
  EXPECT_EQ(read->size, 4096u);
}

TEST(FuseWireTest, DecodesLookupName) {
  const char name[] = "meminfo";
  auto request = DecodeRequest(MakeRequest(FUSE_LOOKUP, 1, 1, name, sizeof(name)));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(std::get<LookupIn>(request->body).name, "meminfo");
}

TEST(FuseWireTest, LookupWithoutNulOrEmptyIsMalformed) {
  const char name[] = {'a', 'b'};
  EXPECT_FALSE(DecodeRequest(MakeRequest(FUSE_LOOKUP, 1, 1, name, sizeof(name))).ok());
  const char empty[] = {'\0'};
  EXPECT_FALSE(DecodeRequest(MakeRequest(FUSE_LOOKUP, 1, 1, empty, sizeof(empty))).ok());
  std::string longname(300, 'x');
  EXPECT_FALSE(DecodeRequest(MakeRequest(FUSE_LOOKUP, 1, 1, longname.c_str(), longname.size() + 1)).ok());
}

TEST(FuseWireTest, UnknownOpcodeDecodesAsUnknown) {
  auto request = DecodeRequest(MakeRequest(FUSE_WRITE + 1000, 9, 1, nullptr, 0));
  ASSERT_TRUE(request.ok());
  EXPECT_TRUE(std::holds_alternative<UnknownIn>(request->body));
  // WRITE, MKDIR, SETATTR... are unknown to a read-only server too.
  for (uint32_t opcode : {FUSE_WRITE, FUSE_MKDIR, FUSE_SETATTR, FUSE_CREATE, FUSE_READDIRPLUS}) {
    auto write = DecodeRequest(MakeRequest(opcode, 9, 1, nullptr, 0));
    ASSERT_TRUE(write.ok());
    EXPECT_TRUE(std::holds_alternative<UnknownIn>(write->body)) << opcode;
  }
}

TEST(FuseWireTest, LengthMustMatchTheRead) {
  fuse_open_in in{};
  std::vector<uint8_t> bytes = MakeRequest(FUSE_OPEN, 5, in);
  bytes.push_back(0);  // one byte more than len says
  EXPECT_FALSE(DecodeRequest(bytes).ok());
  bytes.resize(bytes.size() - 2);  // one byte less
  EXPECT_FALSE(DecodeRequest(bytes).ok());
  EXPECT_EQ(PeekUnique(bytes), 5u);  // still answerable with EIO
}

TEST(FuseWireTest, TruncatedBodiesAreMalformed) {
  for (uint32_t opcode : {FUSE_INIT, FUSE_GETATTR, FUSE_OPEN, FUSE_READ, FUSE_RELEASE, FUSE_FLUSH, FUSE_FORGET,
                          FUSE_BATCH_FORGET, FUSE_INTERRUPT, FUSE_OPENDIR, FUSE_READDIR, FUSE_RELEASEDIR}) {
    uint8_t body[4] = {};
    EXPECT_FALSE(DecodeRequest(MakeRequest(opcode, 3, 1, body, sizeof(body))).ok()) << opcode;
  }
}

TEST(FuseWireTest, ShortHeaderHasNoUnique) {
  std::vector<uint8_t> bytes(10, 0xff);
  EXPECT_FALSE(DecodeRequest(bytes).ok());
  EXPECT_EQ(PeekUnique(bytes), std::nullopt);
  EXPECT_EQ(PeekUnique({}), std::nullopt);
}

TEST(FuseWireTest, NoUniqueForRequestsWithoutReply) {
  fuse_forget_in in{};
  std::vector<uint8_t> bytes = MakeRequest(FUSE_FORGET, 8, in);
  bytes.pop_back();
  EXPECT_EQ(PeekUnique(bytes), std::nullopt);
}

TEST(FuseWireTest, BatchForgetCountIsBounded) {
  struct {
    fuse_batch_forget_in in;
    fuse_forget_one one;
  } body{};
  body.in.count = 1;
  EXPECT_TRUE(DecodeRequest(MakeRequest(FUSE_BATCH_FORGET, 0, body)).ok());
  body.in.count = 2;
  EXPECT_FALSE(DecodeRequest(MakeRequest(FUSE_BATCH_FORGET, 0, body)).ok());
  body.in.count = 0xffffffff;
  EXPECT_FALSE(DecodeRequest(MakeRequest(FUSE_BATCH_FORGET, 0, body)).ok());
}

TEST(FuseWireTest, ExtensionsPastTheRequestAreMalformed) {
  fuse_open_in in{};
  std::vector<uint8_t> bytes = MakeRequest(FUSE_OPEN, 5, in);
  reinterpret_cast<fuse_in_header*>(bytes.data())->total_extlen = 100;
  EXPECT_FALSE(DecodeRequest(bytes).ok());
}

TEST(FuseWireTest, EncodesErrorAndReply) {
  std::vector<uint8_t> error = EncodeError(77, ENOSYS);
  ASSERT_EQ(error.size(), sizeof(fuse_out_header));
  auto* header = reinterpret_cast<const fuse_out_header*>(error.data());
  EXPECT_EQ(header->error, -ENOSYS);
  EXPECT_EQ(header->unique, 77u);
  const uint8_t payload[3] = {1, 2, 3};
  std::vector<uint8_t> reply = EncodeReply(78, payload);
  EXPECT_EQ(reinterpret_cast<const fuse_out_header*>(reply.data())->len, sizeof(fuse_out_header) + 3);
  EXPECT_EQ(reply.back(), 3);
}

TEST(FuseWireTest, DirentsAreAligned) {
  std::vector<uint8_t> out;
  AppendDirent(out, 2, 1, DT_REG, "meminfo");
  AppendDirent(out, 3, 2, DT_REG, "a");
  EXPECT_EQ(out.size() % 8, 0u);
  EXPECT_EQ(out.size(), 2 * FUSE_DIRENT_ALIGN(FUSE_NAME_OFFSET + 7));
}

// Every corpus file (the fuzzer's seeds) decodes or fails without a crash.
TEST(FuseWireTest, CorpusDecodes) {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(VPROC_CORPUS_DIR)) {
    std::ifstream file(entry.path(), std::ios::binary);
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    (void)DecodeRequest(bytes);
    (void)PeekUnique(bytes);
    ++count;
  }
  EXPECT_GT(count, 5);
}

// Every prefix of a valid request is handled (truncation at each byte).
TEST(FuseWireTest, EveryPrefixIsSafe) {
  fuse_read_in in{};
  std::vector<uint8_t> bytes = MakeRequest(FUSE_READ, 11, in);
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + n);
    EXPECT_FALSE(DecodeRequest(prefix).ok()) << n;
  }
}

}  // namespace
}  // namespace gofer::vproc
