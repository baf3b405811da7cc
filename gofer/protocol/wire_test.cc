#include "gofer/protocol/wire.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gofer/protocol/byte_io.h"
#include "gofer/protocol/test_messages.h"
#include "gtest/gtest.h"
#include "platform/status_matchers.h"

namespace gofer::protocol {
namespace {

using ::platform::testing::IsOk;
using ::platform::testing::StatusIs;
using ::testing::HasSubstr;
using testing::SampleCreds;
using testing::SampleReplies;
using testing::SampleRequests;

std::vector<uint8_t> MustEncode(const Request& request) {
  auto bytes = Encode(request);
  EXPECT_THAT(bytes, IsOk());
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

std::vector<uint8_t> MustEncode(const Reply& reply) {
  auto bytes = Encode(reply);
  EXPECT_THAT(bytes, IsOk());
  return bytes.ok() ? *bytes : std::vector<uint8_t>{};
}

void SetPayloadLength(std::vector<uint8_t>& bytes) {
  PutLittle(bytes.data() + 12, bytes.size() - kHeaderSize, 4);
}

// A valid Openat header followed by a hand-written payload.
std::vector<uint8_t> OpenatWithPayload(const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> bytes(kHeaderSize);
  PutLittle(bytes.data(), kMagic, 4);
  PutLittle(bytes.data() + 4, kVersion, 2);
  PutLittle(bytes.data() + 6, static_cast<uint16_t>(MessageType::kOpenat), 2);
  bytes.insert(bytes.end(), payload.begin(), payload.end());
  SetPayloadLength(bytes);
  return bytes;
}

// Creds with no groups and a root Dir, as raw payload bytes.
std::vector<uint8_t> PlainCredsAndRootDir() {
  std::vector<uint8_t> payload(4 + 4 + 4 + 8 + 4, 0);
  payload.push_back(0);  // dir.kind = root
  return payload;
}

TEST(WireTest, EveryRequestRoundTrips) {
  std::set<MessageType> types;
  for (const Request& request : SampleRequests()) {
    SCOPED_TRACE(MessageName(TypeOf(request.body)));
    types.insert(TypeOf(request.body));
    std::vector<uint8_t> bytes = MustEncode(request);
    auto decoded = DecodeRequest(bytes);
    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(*decoded, request);
    EXPECT_EQ(PeekTag(bytes), request.tag);
  }
  EXPECT_EQ(types.size(), std::variant_size_v<RequestBody>);
}

TEST(WireTest, EveryReplyRoundTrips) {
  std::set<MessageType> types;
  for (const Reply& reply : SampleReplies()) {
    types.insert(TypeOf(reply.body));
    auto decoded = DecodeReply(MustEncode(reply));
    ASSERT_THAT(decoded, IsOk());
    EXPECT_EQ(*decoded, reply);
  }
  EXPECT_EQ(types.size(), std::variant_size_v<ReplyBody>);
}

TEST(WireTest, FdCountsFollowTheFields) {
  std::vector<Request> requests = SampleRequests();
  std::vector<size_t> expected = {0, 1, 0, 1, 1, 1, 2, 1, 0, 1, 0, 1, 0, 1, 2, 1};
  ASSERT_EQ(requests.size(), expected.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(FdCount(requests[i]), expected[i]) << MessageName(TypeOf(requests[i].body));
  }
  EXPECT_EQ(FdCount(Reply{1, Result{5, 1}}), 1u);
  EXPECT_EQ(FdCount(Reply{1, Error{}}), 0u);
}

TEST(WireTest, TheHeaderIsLittleEndianAndFixed) {
  std::vector<uint8_t> bytes = MustEncode(Request{0x01020304, Hello{1, 2}});
  std::vector<uint8_t> expected = {'G', 'O', 'F', 'R', 1, 0, 1, 0, 4, 3, 2, 1, 4, 0, 0, 0, 1, 0, 2, 0};
  EXPECT_EQ(bytes, expected);
}

// Every proper prefix of a valid message fails cleanly, both with the
// original header (length mismatch) and with the header patched to match
// (so the field reader runs out of bytes).
TEST(WireTest, TruncationAtEveryOffsetIsAnError) {
  for (const Request& request : SampleRequests()) {
    std::vector<uint8_t> bytes = MustEncode(request);
    for (size_t size = 0; size < bytes.size(); ++size) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);
      EXPECT_THAT(DecodeRequest(prefix), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
      if (size >= kHeaderSize) {
        SetPayloadLength(prefix);
        auto decoded = DecodeRequest(prefix);
        EXPECT_FALSE(decoded.ok()) << MessageName(TypeOf(request.body)) << " prefix " << size;
      }
    }
  }
  for (const Reply& reply : SampleReplies()) {
    std::vector<uint8_t> bytes = MustEncode(reply);
    for (size_t size = 0; size < bytes.size(); ++size) {
      std::vector<uint8_t> prefix(bytes.begin(), bytes.begin() + size);
      EXPECT_FALSE(DecodeReply(prefix).ok());
      if (size >= kHeaderSize) {
        SetPayloadLength(prefix);
        EXPECT_FALSE(DecodeReply(prefix).ok());
      }
    }
  }
}

TEST(WireTest, FieldTruncationNamesTheField) {
  std::vector<uint8_t> payload = PlainCredsAndRootDir();
  payload.insert(payload.end(), {10, 0, 0, 0, '/', 'a'});  // path says 10 bytes, has 2
  EXPECT_THAT(DecodeRequest(OpenatWithPayload(payload)),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat.path: truncated: needs 10 bytes, 2 left"));
}

TEST(WireTest, OversizedPathIsRefusedBothWays) {
  Openat openat{SampleCreds(), Dir{}, "/" + std::string(69999, 'a')};
  EXPECT_THAT(Encode(Request{1, openat}),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat.path: length 70000 exceeds 4095"));
  std::vector<uint8_t> payload = PlainCredsAndRootDir();
  payload.insert(payload.end(), {0x70, 0x11, 0x01, 0x00});  // 70000
  EXPECT_THAT(DecodeRequest(OpenatWithPayload(payload)),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat.path: length 70000 exceeds 4095"));
}

TEST(WireTest, HugeLengthsAndCountsAreRefusedBeforeUse) {
  std::vector<uint8_t> payload = PlainCredsAndRootDir();
  payload.insert(payload.end(), {0xff, 0xff, 0xff, 0xff});
  EXPECT_THAT(DecodeRequest(OpenatWithPayload(payload)),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat.path: length 4294967295 exceeds 4095"));
  std::vector<uint8_t> groups(4 + 4 + 4 + 8, 0);
  groups.insert(groups.end(), {0xff, 0xff, 0xff, 0xff});
  EXPECT_THAT(DecodeRequest(OpenatWithPayload(groups)),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat.creds.groups: count 4294967295 exceeds 1024"));
  Creds creds = SampleCreds();
  creds.groups.resize(kMaxGroups + 1);
  EXPECT_THAT(Encode(Request{1, Mkdirat{creds, Dir{}, "/x", 0}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "mkdirat.creds.groups: count 1025 exceeds 1024"));
}

TEST(WireTest, OtherLimits) {
  Creds c = SampleCreds();
  EXPECT_THAT(Encode(Request{1, Setxattr{c, Dir{}, "/f", std::string(256, 'n'), "v"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "setxattr.name: length 256 exceeds 255"));
  EXPECT_THAT(Encode(Request{1, Setxattr{c, Dir{}, "/f", "user.x", std::string(kMaxXattrValueSize + 1, 'v')}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "setxattr.value: length 65537 exceeds 65536"));
  EXPECT_THAT(Encode(Request{1, BindUnix{c, Dir{}, "/" + std::string(108, 's')}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "bind_unix.path: length 109 exceeds 108"));
  EXPECT_THAT(Encode(Request{1, Symlinkat{c, std::string(4096, 't'), Dir{}, "/l"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "symlinkat.target: length 4096 exceeds 4095"));
}

// The largest valid message fits kMaxMessageSize (the limit is not too small).
TEST(WireTest, TheLargestMessageFits) {
  Creds creds = SampleCreds();
  creds.groups.assign(kMaxGroups, 7);
  std::string dir_path = "/" + std::string(kMaxPathLength - 1, 'd');
  std::string path(kMaxPathLength, 'p');
  Setxattr biggest{creds, testing::FdDir(dir_path), path, std::string(kMaxXattrNameLength, 'n'),
                   std::string(kMaxXattrValueSize, '\0'), 0, 0};
  auto bytes = Encode(Request{1, biggest});
  ASSERT_THAT(bytes, IsOk());
  EXPECT_LE(bytes->size(), kMaxMessageSize);
  Renameat2 rename{creds, testing::FdDir(dir_path), path, testing::FdDir(dir_path), path, 0};
  EXPECT_THAT(Encode(Request{1, rename}), IsOk());
}

TEST(WireTest, HeaderErrors) {
  std::vector<uint8_t> good = MustEncode(SampleRequests()[1]);
  std::vector<uint8_t> bytes = good;
  bytes[0] = 'X';
  EXPECT_THAT(DecodeRequest(bytes), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.magic")));
  EXPECT_EQ(PeekTag(bytes), 0u);
  bytes = good;
  bytes[4] = 2;
  EXPECT_THAT(DecodeRequest(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument, "header.version: 2 is not the supported version 1"));
  EXPECT_EQ(PeekTag(bytes), 2u);  // readable header: the Error echoes the tag
  bytes = good;
  bytes[6] = 0x7f;
  EXPECT_THAT(DecodeRequest(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument, "header.type: unknown message type 0x007f"));
  EXPECT_THAT(DecodeReply(good), StatusIs(absl::StatusCode::kInvalidArgument, "header.type: 0x0002 is not a reply"));
  EXPECT_THAT(DecodeRequest(MustEncode(SampleReplies()[0])),
              StatusIs(absl::StatusCode::kInvalidArgument, "header.type: 0x8001 is not a request"));
  bytes = good;
  bytes.push_back(0);
  EXPECT_THAT(DecodeRequest(bytes), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("header.payload_length")));
  SetPayloadLength(bytes);
  EXPECT_THAT(DecodeRequest(bytes),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat: 1 trailing bytes after the last field"));
  bytes.assign(kMaxMessageSize + 1, 0);
  EXPECT_THAT(DecodeRequest(bytes), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("exceeds 81920")));
}

TEST(WireTest, FieldChecks) {
  Creds c = SampleCreds();
  auto invalid = [](const Request& request, const std::string& message) {
    EXPECT_THAT(Encode(request), StatusIs(absl::StatusCode::kInvalidArgument, message));
  };
  invalid({1, Mkdirat{c, Dir{}, "relative", 0}}, "mkdirat.path: is not absolute (dir is root)");
  invalid({1, Mkdirat{c, testing::FdDir("/d"), "/abs", 0}}, "mkdirat.path: is absolute (dir is an fd)");
  invalid({1, Mkdirat{c, testing::FdDir("d"), "x", 0}}, "mkdirat.dir.path: is not absolute");
  invalid({1, Mkdirat{c, Dir{}, std::string("/a\0b", 4), 0}}, "mkdirat.path: contains a NUL byte");
  invalid({1, Hello{2, 1}}, "hello.max_version: is below min_version");
  invalid({1, BindUnix{c, testing::FdDir("/d"), ""}}, "bind_unix.path: is empty");
  Creds bad_umask = c;
  bad_umask.umask = 01000;
  invalid({1, Mkdirat{bad_umask, Dir{}, "/x", 0}}, "mkdirat.creds.umask: 01000 exceeds 0777");
  EXPECT_THAT(Encode(Reply{1, Result{-2, 1}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "result.fd_count: is 1 with an error value"));
  EXPECT_THAT(Encode(Reply{1, Error{0, "x"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "error.code: 0 is not an error code"));

  // The same checks run when decoding: a bad dir kind on the wire.
  std::vector<uint8_t> payload = PlainCredsAndRootDir();
  payload.back() = 2;
  EXPECT_THAT(DecodeRequest(OpenatWithPayload(payload)),
              StatusIs(absl::StatusCode::kInvalidArgument, "openat.dir.kind: unknown kind 2"));
}

TEST(WireTest, ErrorReplyCarriesTheStatus) {
  Reply reply = ErrorReply(9, absl::InvalidArgumentError(std::string(5000, 'e')));
  EXPECT_EQ(reply.tag, 9u);
  const Error& error = std::get<Error>(reply.body);
  EXPECT_EQ(error.code, static_cast<uint32_t>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(error.message.size(), kMaxErrorMessageLength);
  EXPECT_THAT(Encode(reply), IsOk());
}

// A cheap in-test fuzz: random mutations of valid messages never crash;
// whatever still decodes re-encodes to exactly the same bytes.
TEST(WireTest, RandomMutationsDecodeOrFailCleanly) {
  std::vector<std::vector<uint8_t>> seeds;
  for (const Request& request : SampleRequests()) seeds.push_back(MustEncode(request));
  for (const Reply& reply : SampleReplies()) seeds.push_back(MustEncode(reply));
  std::mt19937 rng(20240601);
  int decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> bytes = seeds[rng() % seeds.size()];
    int mutations = 1 + rng() % 6;
    for (int m = 0; m < mutations; ++m) {
      switch (rng() % 4) {
        case 0:
          bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
          break;
        case 1:
          bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          if (bytes.size() > 1) bytes.resize(rng() % bytes.size());
          break;
        default:
          bytes.push_back(static_cast<uint8_t>(rng()));
          break;
      }
      if (bytes.empty()) bytes.push_back(0);
    }
    if (rng() % 2 && bytes.size() >= kHeaderSize) SetPayloadLength(bytes);
    if (auto request = DecodeRequest(bytes); request.ok()) {
      ++decoded;
      auto again = Encode(*request);
      ASSERT_THAT(again, IsOk());
      EXPECT_EQ(*again, bytes);
    }
    if (auto reply = DecodeReply(bytes); reply.ok()) {
      ++decoded;
      auto again = Encode(*reply);
      ASSERT_THAT(again, IsOk());
      EXPECT_EQ(*again, bytes);
    }
  }
  EXPECT_GT(decoded, 0);  // the mutations do not all miss the decoder
}

// The fuzz seed corpus (corpus/) holds one valid message of every type.
// GOFER_WRITE_CORPUS=1 rewrites it from the samples.
TEST(WireTest, SeedCorpusIsValid) {
  std::filesystem::path dir = GOFER_CORPUS_DIR;
  std::vector<std::pair<std::string, std::vector<uint8_t>>> samples;
  for (const Request& request : SampleRequests()) {
    samples.emplace_back(fmt::format("request_{}", MessageName(TypeOf(request.body))), MustEncode(request));
  }
  int index = 0;
  for (const Reply& reply : SampleReplies()) {
    samples.emplace_back(fmt::format("reply_{}_{}", MessageName(TypeOf(reply.body)), index++), MustEncode(reply));
  }
  if (const char* write = getenv("GOFER_WRITE_CORPUS"); write != nullptr && std::string(write) == "1") {
    std::filesystem::create_directories(dir);
    for (const auto& [name, bytes] : samples) {
      std::ofstream out(dir / name, std::ios::binary);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
  }
  for (const auto& [name, bytes] : samples) {
    std::ifstream in(dir / name, std::ios::binary);
    ASSERT_TRUE(in.good()) << "missing corpus file " << name << " (run with GOFER_WRITE_CORPUS=1)";
    std::vector<uint8_t> stored((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(stored, bytes) << name << " is stale (run with GOFER_WRITE_CORPUS=1)";
  }
}

}  // namespace
}  // namespace gofer::protocol
