// The server as a whole: the handshake, protocol errors, credentials per
// request, and attacks on resolution (gofer_server_tests, label unit).
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <set>
#include <sys/wait.h>
#include <linux/capability.h>
#include <thread>

#include "gofer/server/server_test_util.h"
#include "gtest/gtest.h"

namespace gofer::testing {
namespace {

using protocol::Dir;

Dir Root() { return Dir{}; }
Dir At(const std::string& path) { return Dir{Dir::Kind::kFd, path}; }

// The Error the server answers before closing, and that it then closes.
void ExpectErrorAndClose(ServerHarness& server, absl::StatusCode code, uint32_t tag) {
  absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(server.client());
  ASSERT_TRUE(reply.ok()) << reply.status();
  const auto* error = std::get_if<protocol::Error>(&reply->message.body);
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->code, static_cast<uint32_t>(code)) << error->message;
  EXPECT_EQ(reply->message.tag, tag);
  EXPECT_TRUE(absl::IsUnavailable(protocol::ReceiveReply(server.client()).status()));  // closed
  EXPECT_EQ(server.Finish().code(), code);
}

TEST(ServerProtocolTest, HelloThenEofEndsServing) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  EXPECT_TRUE(server.Finish().ok());
}

TEST(ServerProtocolTest, NoCommonVersion) {
  TempDir root;
  ServerHarness server(root);
  ASSERT_TRUE(protocol::SendRequest(server.client(), {7, protocol::Hello{2, 3}}, {}).ok());
  ExpectErrorAndClose(server, absl::StatusCode::kFailedPrecondition, 7);
}

TEST(ServerProtocolTest, RequestBeforeHello) {
  TempDir root;
  ServerHarness server(root);
  protocol::Request request{9, protocol::Mkdirat{RootCreds(), Root(), "/x", 0755}};
  ASSERT_TRUE(protocol::SendRequest(server.client(), request, {}).ok());
  ExpectErrorAndClose(server, absl::StatusCode::kFailedPrecondition, 9);
  EXPECT_NE(access(root.Host("/x").c_str(), F_OK), 0);  // never acted on
}

TEST(ServerProtocolTest, SecondHello) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  ASSERT_TRUE(protocol::SendRequest(server.client(), {5, protocol::Hello{1, 1}}, {}).ok());
  ExpectErrorAndClose(server, absl::StatusCode::kInvalidArgument, 5);
}

TEST(ServerProtocolTest, BadMagic) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  std::vector<uint8_t> bytes = *protocol::Encode(protocol::Request{3, protocol::Hello{}});
  bytes[0] ^= 0xff;
  ASSERT_TRUE(protocol::SendDatagram(server.client(), bytes, {}).ok());
  ExpectErrorAndClose(server, absl::StatusCode::kInvalidArgument, 0);
}

TEST(ServerProtocolTest, OversizedMessage) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  std::vector<uint8_t> bytes(protocol::kMaxMessageSize + 1, 0);
  ASSERT_EQ(send(server.client(), bytes.data(), bytes.size(), MSG_NOSIGNAL), static_cast<ssize_t>(bytes.size()));
  ExpectErrorAndClose(server, absl::StatusCode::kInvalidArgument, 0);
}

TEST(ServerProtocolTest, WrongFdCountClosesTheFds) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  // Declares one dir fd, carries two.
  std::vector<uint8_t> bytes =
      *protocol::Encode(protocol::Request{4, protocol::Mkdirat{RootCreds(), At("/"), "x", 0755}});
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  platform::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  std::vector<int> fds = {write_end.get(), write_end.get()};
  ASSERT_TRUE(protocol::SendDatagram(server.client(), bytes, fds).ok());
  write_end.reset();
  ExpectErrorAndClose(server, absl::StatusCode::kInvalidArgument, 4);
  char c;
  EXPECT_EQ(read(read_end.get(), &c, 1), 0);  // every copy of the write end was closed
  EXPECT_NE(access(root.Host("/x").c_str(), F_OK), 0);
}

TEST(ServerProtocolTest, TruncatedPayload) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  std::vector<uint8_t> bytes =
      *protocol::Encode(protocol::Request{6, protocol::Mkdirat{RootCreds(), Root(), "/x", 0755}});
  bytes.resize(bytes.size() - 2);
  ASSERT_TRUE(protocol::SendDatagram(server.client(), bytes, {}).ok());
  ExpectErrorAndClose(server, absl::StatusCode::kInvalidArgument, 6);  // the header is readable
}

TEST(ServerProtocolTest, PipelinedRequestsAreAllAnswered) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  constexpr uint32_t kCount = 32;
  for (uint32_t i = 0; i < kCount; ++i) {
    protocol::Request request{100 + i, protocol::Mkdirat{RootCreds(), Root(), "/d" + std::to_string(i), 0755}};
    ASSERT_TRUE(protocol::SendRequest(server.client(), request, {}).ok());
  }
  std::set<uint32_t> tags;
  for (uint32_t i = 0; i < kCount; ++i) {
    absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(server.client());
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(std::get<protocol::Result>(reply->message.body).value, 0);
    tags.insert(reply->message.tag);
  }
  EXPECT_EQ(tags.size(), kCount);
  EXPECT_EQ(*tags.begin(), 100u);
}

// ---- credentials ----

class ServerCredsTest : public ::testing::Test {
 protected:
  ServerCredsTest() {
    mkdir(root_.Host("/group").c_str(), 0770);
    chmod(root_.Host("/group").c_str(), 0770);
    chown(root_.Host("/group").c_str(), 0, 50);
    server_.Greet();
  }
  static ServerOptions OneThread() {
    ServerOptions options;
    options.threads = 1;  // every request on the same thread
    return options;
  }
  TempDir root_;
  ServerHarness server_{root_, OneThread()};
};

TEST_F(ServerCredsTest, CredentialsAreResetAfterEachRequest) {
  protocol::Creds member = UserCreds();
  member.groups = {50};
  member.umask = 077;
  EXPECT_EQ(server_.Do(protocol::Openat{member, Root(), "/group/f", O_WRONLY | O_CREAT, 0666, 0}).value, 0);
  struct stat st = {};
  ASSERT_EQ(stat(root_.Host("/group/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // The same thread, now without the group: refused, so groups were reset.
  EXPECT_EQ(server_.Do(protocol::Openat{UserCreds(), Root(), "/group/g", O_WRONLY | O_CREAT, 0666, 0}).value,
            -EACCES);
  // And root again, with its umask 0 and its capabilities back.
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), Root(), "/group/root", 0777}).value, 0);
  ASSERT_EQ(stat(root_.Host("/group/root").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_mode & 0777, 0777u);
}

TEST_F(ServerCredsTest, CallerCannotExceedTheGofersCapabilities) {
  // Asking for every bit (including ones past CAP_LAST_CAP) is harmless:
  // the effective set is intersected with the thread's permitted set.
  protocol::Creds greedy = UserCreds(1000, ~0ULL);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{greedy, Root(), "/group/g", 0755}).value, 0);
}

// The thread keeps a caller's credentials between requests (ThreadCreds):
// each of these differs from the one before in one part only, and must run
// with exactly its own, never the previous caller's.
TEST_F(ServerCredsTest, CachedCredentialsNeverServeAnotherCaller) {
  protocol::Creds member = UserCreds();
  member.groups = {50};
  EXPECT_EQ(server_.Do(protocol::Mkdirat{member, Root(), "/group/a", 0777}).value, 0);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{member, Root(), "/group/b", 0777}).value, 0);  // the same: cached
  // Same ids, other groups: refused.
  protocol::Creds other_group = member;
  other_group.groups = {51};
  EXPECT_EQ(server_.Do(protocol::Mkdirat{other_group, Root(), "/group/c", 0777}).value, -EACCES);
  // Same ids and groups as before, other caps: CAP_DAC_OVERRIDE lets in.
  other_group.cap_effective = Cap(CAP_DAC_OVERRIDE);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{other_group, Root(), "/group/d", 0777}).value, 0);
  // ... and taking it away again refuses.
  other_group.cap_effective = 0;
  EXPECT_EQ(server_.Do(protocol::Mkdirat{other_group, Root(), "/group/e", 0777}).value, -EACCES);
  // Same everything but the umask: only the umask changes.
  member.umask = 0;
  EXPECT_EQ(server_.Do(protocol::Mkdirat{member, Root(), "/group/f", 0777}).value, 0);
  member.umask = 027;
  EXPECT_EQ(server_.Do(protocol::Mkdirat{member, Root(), "/group/g", 0777}).value, 0);
  // Other fsgid: owns what it makes.
  protocol::Creds gid = member;
  gid.fsgid = 50;
  EXPECT_EQ(server_.Do(protocol::Mkdirat{gid, Root(), "/group/h", 0777}).value, 0);
  struct stat st = {};
  ASSERT_EQ(stat(root_.Host("/group/b").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0755u);  // UserCreds' umask 022
  EXPECT_EQ(st.st_gid, 1000u);
  ASSERT_EQ(stat(root_.Host("/group/f").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0777u);
  ASSERT_EQ(stat(root_.Host("/group/g").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  ASSERT_EQ(stat(root_.Host("/group/h").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 50u);
  EXPECT_NE(access(root_.Host("/group/c").c_str(), F_OK), 0);
  EXPECT_NE(access(root_.Host("/group/e").c_str(), F_OK), 0);
}

// The caller's cwd lies below a directory it may not search (it got there
// before the mode changed, or was given the fd): a native call works from
// it, so the gofer finds the start with its own credentials, then performs
// the call with the caller's.
TEST_F(ServerCredsTest, AStartTheCallerCannotWalkToStillWorks) {
  ASSERT_EQ(mkdir(root_.Host("/private").c_str(), 0700), 0);
  ASSERT_EQ(mkdir(root_.Host("/private/open").c_str(), 0777), 0);
  chmod(root_.Host("/private/open").c_str(), 0777);
  platform::UniqueFd open_dir(open(root_.Host("/private/open").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  Dir at{Dir::Kind::kFd, "/private/open"};
  // Twice: the second time the thread already holds the caller's creds.
  EXPECT_EQ(server_.Do(protocol::Mkdirat{UserCreds(), at, "x", 0755}, {open_dir.get()}).value, 0);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{UserCreds(), at, "y", 0755}, {open_dir.get()}).value, 0);
  struct stat st = {};
  ASSERT_EQ(stat(root_.Host("/private/open/y").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  // But the call itself is the caller's: not through the private parent.
  EXPECT_EQ(server_.Do(protocol::Mkdirat{UserCreds(), Root(), "/private/z", 0755}).value, -EACCES);
}

// ---- concurrency ----

// Opening a FIFO nobody reads never holds a serving thread (issue 15: four
// such opens stalled every brokered call): the gofer answers at once that
// the kernel must run it, and the requests behind it are answered in order.
TEST(ServerConcurrencyTest, AFifoOpenDoesNotHoldAThread) {
  TempDir root;
  ASSERT_EQ(mkfifo(root.Host("/fifo").c_str(), 0666), 0);
  ServerOptions options;
  options.threads = 2;
  ServerHarness server(root, options);
  server.Greet();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(server.Do(protocol::Openat{RootCreds(), Root(), "/fifo", O_WRONLY, 0, 0}).value,
              protocol::Result::kLeaveToKernel);
  }
  for (int i = 0; i < 3; ++i) {
    Got got = server.Do(protocol::Mkdirat{RootCreds(), Root(), "/d" + std::to_string(i), 0755});
    EXPECT_EQ(got.value, 0) << i;
  }
  EXPECT_TRUE(server.Finish().ok());
}

// Many requests from several client threads at once, on every serving
// thread: each is answered once, under its own tag.
TEST(ServerConcurrencyTest, ConcurrentClientsGetEveryReply) {
  TempDir root;
  ServerHarness server(root);
  server.Greet();
  constexpr int kSenders = 4, kEach = 50;
  std::vector<std::thread> senders;
  for (int t = 0; t < kSenders; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        uint32_t tag = 1000 + t * kEach + i;
        std::string path = "/t" + std::to_string(t) + "_" + std::to_string(i);
        EXPECT_TRUE(protocol::SendRequest(server.client(), {tag, protocol::Mkdirat{RootCreds(), Root(), path, 0755}}, {})
                        .ok());
      }
    });
  }
  std::set<uint32_t> tags;
  for (int i = 0; i < kSenders * kEach; ++i) {
    absl::StatusOr<protocol::Incoming<protocol::Reply>> reply = protocol::ReceiveReply(server.client());
    ASSERT_TRUE(reply.ok()) << reply.status();
    EXPECT_EQ(std::get<protocol::Result>(reply->message.body).value, 0);
    tags.insert(reply->message.tag);
  }
  for (std::thread& sender : senders) sender.join();
  EXPECT_EQ(tags.size(), static_cast<size_t>(kSenders * kEach));
  EXPECT_TRUE(server.Finish().ok());
}

TEST(ServerIdMapTest, WireIdsAreMappedIntoTheGofersNamespace) {
  TempDir root;
  chmod(root.path().c_str(), 0777);
  ServerOptions options;
  options.id_maps.uid_map = {{0, 100000, 65536}};
  options.id_maps.gid_map = {{0, 200000, 65536}};
  ServerHarness server(root, options);
  server.Greet();
  protocol::Creds caller = UserCreds(101000);
  caller.fsgid = 201000;
  EXPECT_EQ(server.Do(protocol::Mkdirat{caller, Root(), "/mine", 0755}).value, 0);
  struct stat st = {};
  ASSERT_EQ(stat(root.Host("/mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 1000u);
  // Unmapped fsuid, or any unmapped group: EPERM, nothing done.
  EXPECT_EQ(server.Do(protocol::Mkdirat{UserCreds(5), Root(), "/no", 0755}).value, -EPERM);
  caller.groups = {201000, 7};
  EXPECT_EQ(server.Do(protocol::Mkdirat{caller, Root(), "/no", 0755}).value, -EPERM);
  EXPECT_NE(access(root.Host("/no").c_str(), F_OK), 0);
  // Fchownat's ids are the workload's own: unchanged.
  EXPECT_EQ(server.Do(protocol::Fchownat{RootCreds(), Root(), "/mine", 3, 4, 0}).value, -EPERM);  // root unmapped
  protocol::Creds container_root = RootCreds();
  container_root.fsuid = 100000;
  container_root.fsgid = 200000;
  EXPECT_EQ(server.Do(protocol::Fchownat{container_root, Root(), "/mine", 3, 4, 0}).value, 0);
  ASSERT_EQ(stat(root.Host("/mine").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 3u);
  EXPECT_EQ(st.st_gid, 4u);
}

TEST(ServerAuditTest, OneLinePerRequest) {
  TempDir root;
  std::mutex mutex;
  std::vector<std::string> lines;
  ServerOptions options;
  options.audit = [&](const std::string& line) {
    std::lock_guard lock(mutex);
    lines.push_back(line);
  };
  ServerHarness server(root, options);
  server.Greet();
  server.Do(protocol::Mkdirat{UserCreds(), Root(), "/a", 0755});
  server.Do(protocol::Renameat2{RootCreds(), Root(), "/nope", Root(), "/b", 0});
  ASSERT_TRUE(server.Finish().ok());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], R"({"call":"mkdirat","dir":"","path":"/a","result":-13,"uid":1000})");
  EXPECT_NE(lines[1].find(R"("new_path":"/b")"), std::string::npos);
  EXPECT_NE(lines[1].find(R"("result":-2)"), std::string::npos);
}

// ---- attacks on resolution ----

class ResolutionAttackTest : public ::testing::Test {
 protected:
  ResolutionAttackTest() {
    mkdir(root_.Host("/etc").c_str(), 0755);
    std::ofstream(root_.Host("/etc/passwd")) << "inside\n";
    mkdir(root_.Host("/a").c_str(), 0755);
    mkdir(root_.Host("/a/b").c_str(), 0755);
    server_.Greet();
  }
  // Opens `path` for appending (never truncating: on failure it must not
  // damage the host) and returns the inode it reached.
  ino_t Reached(const Dir& dir, const std::string& path, std::vector<int> fds = {}) {
    Got got = server_.Do(protocol::Openat{RootCreds(), dir, path, O_WRONLY | O_APPEND, 0, 0}, fds);
    if (got.value != 0) return 0;
    struct stat st = {};
    fstat(got.fd.get(), &st);
    return st.st_ino;
  }
  ino_t Inode(const std::string& host_path) {
    struct stat st = {};
    stat(host_path.c_str(), &st);
    return st.st_ino;
  }
  TempDir root_;
  ServerHarness server_{root_};
};

TEST_F(ResolutionAttackTest, AbsoluteSymlinkStaysInside) {
  ASSERT_EQ(symlink("/etc/passwd", root_.Host("/a/link").c_str()), 0);
  ASSERT_EQ(symlink("/etc", root_.Host("/a/etcdir").c_str()), 0);
  ino_t inside = Inode(root_.Host("/etc/passwd"));
  ASSERT_NE(inside, Inode("/etc/passwd"));
  EXPECT_EQ(Reached(Root(), "/a/link"), inside);
  // Through a symlinked parent, for the *at calls too.
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), Root(), "/a/etcdir/gofer-test-escape", 0755}).value, 0);
  EXPECT_EQ(access(root_.Host("/etc/gofer-test-escape").c_str(), F_OK), 0);
  EXPECT_NE(access("/etc/gofer-test-escape", F_OK), 0);
  rmdir("/etc/gofer-test-escape");  // in case the test failed
}

TEST_F(ResolutionAttackTest, DotDotChainsStayInside) {
  ino_t inside = Inode(root_.Host("/etc/passwd"));
  EXPECT_EQ(Reached(Root(), "/../../../../../../etc/passwd"), inside);
  platform::UniqueFd b(open(root_.Host("/a/b").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(Reached(At("/a/b"), "../../../../../../../../etc/passwd", {b.get()}), inside);
  ASSERT_EQ(symlink("../../../../../../../etc/passwd", root_.Host("/a/b/rel").c_str()), 0);
  EXPECT_EQ(Reached(At("/a/b"), "rel", {b.get()}), inside);
  // dir_path itself climbing out.
  platform::UniqueFd etc(open(root_.Host("/etc").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(Reached(At("/../../../../etc"), "passwd", {etc.get()}), inside);
}

TEST_F(ResolutionAttackTest, DirFdMustMatchDirPath) {
  platform::UniqueFd b(open(root_.Host("/a/b").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), At("/a"), "x", 0755}, {b.get()}).value, -ESTALE);
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), At("/nonexistent"), "x", 0755}, {b.get()}).value, -ESTALE);
  // A host directory outside the root is never a start, whatever it claims.
  platform::UniqueFd host_etc(open("/etc", O_PATH | O_DIRECTORY | O_CLOEXEC));
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), At("/etc"), "gofer-test-escape", 0755}, {host_etc.get()})
                .value,
            -ESTALE);
  EXPECT_NE(access("/etc/gofer-test-escape", F_OK), 0);
  EXPECT_NE(access(root_.Host("/a/x").c_str(), F_OK), 0);
  // A deleted directory (the caller's cwd was removed).
  mkdir(root_.Host("/gone").c_str(), 0755);
  platform::UniqueFd gone(open(root_.Host("/gone").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  rmdir(root_.Host("/gone").c_str());
  EXPECT_EQ(server_.Do(protocol::Mkdirat{RootCreds(), At("/gone"), "x", 0755}, {gone.get()}).value, -ENOENT);
}

TEST_F(ResolutionAttackTest, MagicLinksAreRefused) {
  // A /proc inside the root (the real gofer has none): its magic links
  // must not be followed, even where /proc/self/root would lead out.
  mkdir(root_.Host("/proc").c_str(), 0555);
  std::string message = [&]() -> std::string {
    pid_t pid = fork();
    if (pid == 0) {
      if (unshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
          mount("proc", root_.Host("/proc").c_str(), "proc", 0, nullptr) != 0) {
        _exit(2);
      }
      TempDir unused;
      ServerHarness server(root_);
      server.Greet();
      Got got = server.Do(protocol::Openat{RootCreds(), Root(), "/proc/self/root/etc/passwd", O_WRONLY | O_APPEND, 0, 0});
      Got via_symlink_parent = server.Do(protocol::Mkdirat{RootCreds(), Root(), "/proc/self/cwd/x", 0755});
      _exit(got.value == -ELOOP && via_symlink_parent.value == -ELOOP ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "" : "status " + std::to_string(status);
  }();
  EXPECT_EQ(message, "");
}

}  // namespace
}  // namespace gofer::testing
