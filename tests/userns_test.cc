// Integration tests of user namespaces: linux.uidMappings/gidMappings, the rootless spec, joining a
// user namespace by path, file ownership through the mapping, exec and devices inside one.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "tests/host_process.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr uint32_t kHostBase = 100000;  // container id 0 is this host id
constexpr uint32_t kRange = 65536;

nlohmann::json Mapping(uint32_t container_id, uint32_t host_id, uint32_t size) {
  return nlohmann::json::array({{{"containerID", container_id}, {"hostID", host_id}, {"size", size}}});
}

// A bundle in a new user namespace mapping container 0..65535 to host 100000..165535. Its rootfs is
// chowned into the range, as a user-namespaced runtime's image store does.
BundleBuilder& InUserNamespace(BundleBuilder& bundle) {
  bundle.Namespace("user");
  bundle.config()["linux"]["uidMappings"] = Mapping(0, kHostBase, kRange);
  bundle.config()["linux"]["gidMappings"] = Mapping(0, kHostBase, kRange);
  return bundle;
}

// The container's root (an unprivileged host id) must be able to walk to the rootfs, as with any
// user-namespaced runtime: the test's temp dir is mkdtemp's 0700.
void OpenPathTo(const BundleBuilder& bundle) {
  for (fs::path dir = bundle.dir(); dir != "/" && dir != "/tmp"; dir = dir.parent_path()) {
    chmod(dir.c_str(), 0755);
  }
}

// Shifts every file of the written bundle's rootfs by kHostBase (lchown: links themselves).
void ShiftRootfsOwnership(const BundleBuilder& bundle) {
  for (const auto& entry : fs::recursive_directory_iterator(bundle.rootfs())) {
    struct stat st;
    ASSERT_EQ(lstat(entry.path().c_str(), &st), 0) << entry.path();
    ASSERT_EQ(lchown(entry.path().c_str(), st.st_uid + kHostBase, st.st_gid + kHostBase), 0) << entry.path();
  }
  ASSERT_EQ(chown(bundle.rootfs().c_str(), kHostBase, kHostBase), 0);
  OpenPathTo(bundle);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The "Uid:" or "Gid:" line of /proc/<pid>/status, e.g. "100000\t100000\t100000\t100000".
std::string StatusIds(pid_t pid, const std::string& key) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(key + ":\t", 0) == 0) return line.substr(key.size() + 2);
  }
  return "";
}

class UserNamespaceTest : public IntegrationTest {
 protected:
  // Writes `bundle` (in a user namespace, rootfs shifted) with `args`.
  void Prepare(BundleBuilder& bundle, std::vector<std::string> args) {
    InUserNamespace(bundle).Args(std::move(args));
    ASSERT_TRUE(bundle.Write().ok());
    ShiftRootfsOwnership(bundle);
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(UserNamespaceTest);

TEST_P(UserNamespaceTest, RootInsideIsTheMappedIdOnTheHost) {
  BundleBuilder bundle = NewBundle();
  Prepare(bundle, {"sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; sleep 1000"});
  std::string id = NewId();
  RunResult created = rt().Run({"create", "--bundle", bundle.dir(), id});
  ASSERT_EQ(created.exit_code, 0) << created;
  absl::StatusOr<nlohmann::json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  pid_t pid = (*state)["pid"].get<pid_t>();
  EXPECT_EQ(StatusIds(pid, "Uid"), "100000\t100000\t100000\t100000");
  EXPECT_EQ(StatusIds(pid, "Gid"), "100000\t100000\t100000\t100000");
  EXPECT_NE(NamespaceOf(pid, "user"), NamespaceOf(getpid(), "user"));
  EXPECT_EQ(rt().Run({"delete", "--force", id}).exit_code, 0);
}

TEST_P(UserNamespaceTest, TheWorkloadSeesRootAndItsMaps) {
  BundleBuilder bundle = NewBundle();
  Prepare(bundle, {"sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map"});
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 4u) << result;
  EXPECT_EQ(lines[0], "0");
  EXPECT_EQ(lines[1], "0");
  EXPECT_THAT(lines[2], ::testing::MatchesRegex(" *0 +100000 +65536"));
  EXPECT_THAT(lines[3], ::testing::MatchesRegex(" *0 +100000 +65536"));
}

// The virtual /proc files (mounted by the gofer from the host's user namespace into the
// container's mount namespace) work in a user namespace and show as root's.
TEST_P(UserNamespaceTest, VirtualProcFilesWorkAndBelongToRoot) {
  if (!IsRunsc()) GTEST_SKIP() << "runc shows the host's /proc files";
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"linux", {{"resources", {{"memory", {{"limit", 256LL << 20}}}}}}}});
  Prepare(bundle, {"sh", "-c", "grep MemTotal /proc/meminfo; ls -ln /proc/meminfo; cat /proc/uptime"});
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result;
  EXPECT_THAT(lines[0], ::testing::MatchesRegex("MemTotal: +262144 kB"));
  EXPECT_THAT(lines[1], ::testing::MatchesRegex("-r--r--r-- +1 0 +0 .*"));
}

TEST_P(UserNamespaceTest, FileOwnershipFollowsTheMapping) {
  std::string shared = tmp() + "/shared";
  fs::create_directory(shared);
  ASSERT_EQ(chown(shared.c_str(), kHostBase, kHostBase), 0);
  std::ofstream(shared + "/from-host") << "x";
  ASSERT_EQ(chown((shared + "/from-host").c_str(), kHostBase + 1000, kHostBase + 1001), 0);
  std::ofstream(shared + "/unmapped") << "x";  // host root: outside the mapping
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/shared", "bind", shared, {"rbind", "rw"}).Capabilities({"CAP_CHOWN"});
  Prepare(bundle, {"sh", "-c",
                   "stat -c '%u:%g' /shared/from-host /shared/unmapped /etc/passwd; "
                   "echo made > /shared/from-container && chown 1234:1235 /shared/from-container"});
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result;
  EXPECT_EQ(lines[0], "1000:1001");
  EXPECT_EQ(lines[1], "65534:65534");  // the overflow ids
  EXPECT_EQ(lines[2], "0:0");
  struct stat st;
  ASSERT_EQ(stat((shared + "/from-container").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kHostBase + 1234);
  EXPECT_EQ(st.st_gid, kHostBase + 1235);
}

TEST_P(UserNamespaceTest, RootInsideCannotWriteHostRootsFiles) {
  std::string shared = tmp() + "/shared";
  fs::create_directory(shared);
  std::ofstream(shared + "/host-owned") << "host";
  chmod((shared + "/host-owned").c_str(), 0644);
  BundleBuilder bundle = NewBundle();
  bundle.AddMount("/shared", "bind", shared, {"rbind", "rw"});
  Prepare(bundle, {"sh", "-c", "echo pwned > /shared/host-owned; echo rc=$?"});
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  EXPECT_THAT(result.out, HasSubstr("rc=1")) << result;
  EXPECT_EQ(ReadFile(shared + "/host-owned"), "host");
}

// The container's root may change only what its namespace maps. Attack on
// directfs (docs/design.md): the sentry's capabilities are the host's, so if
// it acted for a user-namespaced container, root inside could chmod, chown
// or touch a file owned by an unmapped host id in a writable bind mount, or
// replace it. runsc keeps such a container in the strict mode (the gofer,
// in the container's namespace, acts) even with --directfs=true.
TEST_P(UserNamespaceTest, RootInsideCannotChangeAttributesOfUnmappedFilesUnderDirectfs) {
  std::string shared = tmp() + "/shared";
  fs::create_directory(shared);
  chmod(shared.c_str(), 0777);
  std::ofstream(shared + "/host-owned") << "host";
  chmod((shared + "/host-owned").c_str(), 0666);
  BundleBuilder bundle = NewBundle();
  // Docker's capabilities that act on files: root inside has them in its
  // own namespace only.
  bundle.AddMount("/shared", "bind", shared, {"rbind", "rw"})
      .Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID"});
  Prepare(bundle, {"sh", "-c",
                   "f=/shared/host-owned; chmod 600 $f; echo chmod=$?; chown 0:0 $f; echo chown=$?; "
                   "touch -d @0 $f; echo touch=$?; mkdir /shared/made; echo mkdir=$?"});
  std::vector<std::string> args = {"run", "--bundle", bundle.dir(), NewId()};
  if (IsRunsc()) args.insert(args.begin(), "--directfs=true");
  RunResult result = rt().Run(args);
  EXPECT_THAT(result.out, HasSubstr("chmod=1\nchown=1\ntouch=1\nmkdir=0\n")) << result;
  struct stat st;
  ASSERT_EQ(stat((shared + "/host-owned").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0666u);
  EXPECT_NE(st.st_mtime, 0);
  ASSERT_EQ(stat((shared + "/made").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kHostBase);  // made by the container's root, as mapped
}

TEST_P(UserNamespaceTest, DevicesWorkInside) {
  BundleBuilder bundle = NewBundle();
  Prepare(bundle, {"sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c && ls -l /dev/null"});
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), NewId()});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u) << result;
  EXPECT_EQ(lines[0], "4");
  EXPECT_THAT(lines[1], HasSubstr("1,")) << "a character device 1,3";
}

TEST_P(UserNamespaceTest, ExecJoinsTheUserNamespace) {
  BundleBuilder bundle = NewBundle();
  Prepare(bundle, {"sleep", "1000"});
  std::string id = NewId();
  ASSERT_EQ(rt().Run({"run", "-d", "--bundle", bundle.dir(), id}).exit_code, 0);
  RunResult exec = rt().Run({"exec", id, "sh", "-c", "id -u; cat /proc/self/uid_map; readlink /proc/1/ns/user; "
                                                         "readlink /proc/self/ns/user"});
  ASSERT_EQ(exec.exit_code, 0) << exec;
  std::vector<std::string> lines = Lines(exec.out);
  ASSERT_EQ(lines.size(), 4u) << exec;
  EXPECT_EQ(lines[0], "0");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex(" *0 +100000 +65536"));
  EXPECT_EQ(lines[2], lines[3]);
  EXPECT_EQ(rt().Run({"delete", "--force", id}).exit_code, 0);
}

TEST_P(UserNamespaceTest, RootlessSpecRuns) {
  BundleBuilder bundle = NewBundle();
  fs::path dir = bundle.dir();
  ASSERT_TRUE(bundle.Write().ok());
  fs::remove(dir / "config.json");  // spec refuses to overwrite one
  RunResult spec = rt().Run({"spec", "--rootless", "--bundle", dir.string()});
  ASSERT_EQ(spec.exit_code, 0) << spec;
  // runc's rootless spec, with the payload as its process and our rootfs.
  nlohmann::json config = nlohmann::json::parse(ReadFile(dir / "config.json"));
  config["process"]["args"] = {"sh", "-c", "id -u; cat /proc/self/uid_map; echo x > /dev/null"};
  config["process"]["terminal"] = false;
  config["root"]["path"] = "rootfs";
  std::ofstream(dir / "config.json") << config.dump();
  OpenPathTo(bundle);
  RunResult result = rt().Run({"run", "--bundle", dir.string(), NewId()});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 2u) << result;
  EXPECT_EQ(lines[0], "0");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex(fmt::format(" *0 +{} +1", geteuid())));
}

// A process in a user namespace of its own (0..65535 -> 200000..), to join by path.
class UserNamespaceHolder {
 public:
  UserNamespaceHolder() {
    int ready[2];
    if (pipe(ready) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      if (unshare(CLONE_NEWUSER) != 0) _exit(1);
      (void)!write(ready[1], "u", 1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char byte;
    if (read(ready[0], &byte, 1) == 1) {
      std::ofstream(fmt::format("/proc/{}/uid_map", pid_)) << "0 200000 65536\n";
      std::ofstream(fmt::format("/proc/{}/gid_map", pid_)) << "0 200000 65536\n";
    }
    close(ready[0]);
  }
  ~UserNamespaceHolder() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string path() const { return fmt::format("/proc/{}/ns/user", pid_); }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

TEST_P(UserNamespaceTest, JoinsAUserNamespaceByPath) {
  UserNamespaceHolder holder;
  ASSERT_GT(holder.pid(), 0);
  BundleBuilder bundle = NewBundle();
  // runc 1.1 wants the mappings even for a joined namespace; they must be the namespace's.
  bundle.config()["linux"]["uidMappings"] = Mapping(0, 200000, kRange);
  bundle.config()["linux"]["gidMappings"] = Mapping(0, 200000, kRange);
  bundle.Namespace("user", holder.path())
      .Args({"sh", "-c", "id -u; cat /proc/self/uid_map; readlink /proc/self/ns/user; echo x > /dev/null"});
  ASSERT_TRUE(bundle.Write().ok());
  for (const auto& entry : fs::recursive_directory_iterator(bundle.rootfs())) {
    struct stat st;
    ASSERT_EQ(lstat(entry.path().c_str(), &st), 0);
    ASSERT_EQ(lchown(entry.path().c_str(), st.st_uid + 200000, st.st_gid + 200000), 0);
  }
  OpenPathTo(bundle);
  std::string id = NewId();
  RunResult result = rt().Run({"run", "--bundle", bundle.dir(), id});
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 3u) << result;
  EXPECT_EQ(lines[0], "0");
  EXPECT_THAT(lines[1], ::testing::MatchesRegex(" *0 +200000 +65536"));
  EXPECT_EQ(lines[2], NamespaceOf(holder.pid(), "user"));
}

TEST_P(UserNamespaceTest, JoinedUserNamespaceWithOtherMappingsIsRejected) {
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 does not check the mappings of a joined user namespace";
  UserNamespaceHolder holder;
  ASSERT_GT(holder.pid(), 0);
  BundleBuilder bundle = NewBundle();
  bundle.config()["linux"]["uidMappings"] = Mapping(0, kHostBase, kRange);
  bundle.config()["linux"]["gidMappings"] = Mapping(0, 200000, kRange);
  bundle.Namespace("user", holder.path()).Args({"true"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("linux.uidMappings: \"0 100000 65536\" is not the joined user namespace's "
                                    "\"0 200000 65536\"")) << result;
  ExpectNothingLeft();
}

TEST_P(UserNamespaceTest, UnmappedProcessUserFailsCleanly) {
  BundleBuilder bundle = NewBundle();
  InUserNamespace(bundle).User(kRange + 5, 0).Args({"true"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  EXPECT_NE(result.exit_code, 0) << result;
  if (IsRunsc()) {
    ExpectOneLineError(result);
    EXPECT_THAT(result.err, HasSubstr("process.user.uid: 65541 is not mapped by linux.uidMappings")) << result;
  }
  ExpectNothingLeft();
}

TEST_P(UserNamespaceTest, MappingsWithoutAUserNamespaceAreRejected) {
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1 ignores mappings without a user namespace";
  BundleBuilder bundle = NewBundle();
  bundle.config()["linux"]["uidMappings"] = Mapping(0, kHostBase, kRange);
  bundle.config()["linux"]["gidMappings"] = Mapping(0, kHostBase, kRange);
  bundle.Args({"true"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), NewId()});
  EXPECT_NE(result.exit_code, 0) << result;
  if (IsRunsc()) {
    EXPECT_THAT(result.err, HasSubstr("linux.uidMappings")) << result;
  }
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing
