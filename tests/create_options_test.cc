// Integration tests of the create/run options: --pid-file, --preserve-fds, --no-pivot,
// --no-new-keyring; and that no host fd leaks into the container (security rule 4).
#include <fcntl.h>
#include <linux/keyctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using nlohmann::json;

class CreateOptionsTest : public IntegrationTest {
 protected:
  // A file under the test's tmp dir holding `text`, opened O_RDWR at offset 0 (not CLOEXEC).
  int OpenScratchFile(const std::string& name, const std::string& text) {
    std::string path = tmp() + "/" + name;
    std::ofstream(path) << text;
    int fd = open(path.c_str(), O_RDWR);
    EXPECT_GE(fd, 0) << path;
    return fd;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(CreateOptionsTest);

// The fd numbers of `payload fds` output ("N -> target" lines).
std::vector<int> FdNumbers(const std::string& out) {
  std::vector<int> fds;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) fds.push_back(std::stoi(line));
  return fds;
}

// "Name:\t<comm>" of /proc/<pid>/status.
std::string StatusName(int pid) {
  std::istringstream lines(ReadFile(fmt::format("/proc/{}/status", pid)));
  std::string line;
  std::getline(lines, line);
  return line;
}

TEST_P(CreateOptionsTest, PidFileOfCreateHoldsTheWorkloadPid) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  std::string pid_file = tmp() + "/create.pid";
  RunResult create = rt().Run({"create", "--pid-file", pid_file, "--bundle", bundle.dir(), id});
  ASSERT_EQ(create.exit_code, 0) << create;
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  int pid = (*state)["pid"].get<int>();
  EXPECT_EQ(ReadFile(pid_file), std::to_string(pid));
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  // After start the pid is the workload itself (comm "payload"), not a runtime helper.
  EXPECT_TRUE(WaitUntil([&] { return StatusName(pid) == "Name:\tpayload"; })) << StatusName(pid);
}

TEST_P(CreateOptionsTest, PidFileOfRunDetach) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  std::string pid_file = tmp() + "/run.pid";
  RunResult run =
      rt().Run({"run", "--detach", "--pid-file", pid_file, "--bundle", bundle.dir(), id});
  ASSERT_EQ(run.exit_code, 0) << run;
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  int pid = (*state)["pid"].get<int>();
  EXPECT_EQ(ReadFile(pid_file), std::to_string(pid));
  EXPECT_TRUE(WaitUntil([&] { return StatusName(pid) == "Name:\tpayload"; })) << StatusName(pid);
}

TEST_P(CreateOptionsTest, PidFileIsNotCreatedWhenCreateFails) {
  // Early (the spec) and late (a mount in the container's set-up) failures.
  BundleBuilder early = NewBundle();
  early.Args({});
  BundleBuilder late = NewBundle();
  late.AddMount("/mnt/x", "bind", tmp() + "/no-such-source", {"rbind"});
  for (BundleBuilder* bundle : {&early, &late}) {
    SCOPED_TRACE(bundle->dir());
    ASSERT_TRUE(bundle->Write().ok());
    std::string pid_file = bundle->dir() + ".pid";
    RunResult create =
        rt().Run({"create", "--pid-file", pid_file, "--bundle", bundle->dir(), NewId()});
    EXPECT_EQ(create.exit_code, 1) << create;
    EXPECT_FALSE(std::filesystem::exists(pid_file));
    EXPECT_THAT(DirEntries(tmp()), ::testing::Not(::testing::Contains(
                                       MatchesRegex(".*\\.pid.*"))));  // no temp file either
  }
  ExpectNothingLeft();
}

TEST_P(CreateOptionsTest, PreservedFdIsUsableInTheContainer) {
  int fd = OpenScratchFile("preserved", "from host\n");
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c", "/bin/payload readfd 3; /bin/payload writefd 3 from-container"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult run =
      rt().RunWithFds({"run", "--preserve-fds", "1", "--bundle", bundle.dir(), NewId()}, {fd});
  close(fd);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_EQ(run.out, "from host\nok\n") << run;
  EXPECT_EQ(ReadFile(tmp() + "/preserved"), "from host\nfrom-container\n");
}

TEST_P(CreateOptionsTest, PreservedPipeReachesTheWorkloadOfCreate) {
  int pipe_fds[2];
  ASSERT_EQ(pipe2(pipe_fds, O_CLOEXEC), 0);
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "readfd", "3"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult create =
      rt().RunWithFds({"create", "--preserve-fds", "1", "--bundle", bundle.dir(), id},
                      {pipe_fds[0]});
  close(pipe_fds[0]);
  ASSERT_EQ(create.exit_code, 0) << create;
  ASSERT_EQ(write(pipe_fds[1], "through the pipe\n", 17), 17);
  close(pipe_fds[1]);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  ASSERT_TRUE(WaitForStatus(id, "stopped"));
  // A detached workload writes to the runtime's stdout file; read it back through `create`'s.
  std::string out;
  for (const std::string& name : DirEntries(tmp())) {
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".out") == 0) {
      out += ReadFile(tmp() + "/" + name);
    }
  }
  EXPECT_THAT(out, HasSubstr("through the pipe\n"));
}

TEST_P(CreateOptionsTest, WithoutPreserveFdsFdThreeIsClosed) {
  int fd = OpenScratchFile("not-preserved", "secret\n");
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "fds"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult run = rt().RunWithFds({"run", "--bundle", bundle.dir(), NewId()}, {fd});
  close(fd);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(FdNumbers(run.out), ElementsAre(0, 1, 2)) << run.out;
}

TEST_P(CreateOptionsTest, NoHostFdLeaksIntoTheContainer) {
  // Security rule 4 (CVE-2024-21626): fds the caller leaked to the runtime (not CLOEXEC), and
  // every fd of the runtime itself, stay out; only stdio and the preserved fds get in.
  int leaked_dir = open(tmp().c_str(), O_RDONLY | O_DIRECTORY);
  int leaked_file = OpenScratchFile("leaked", "leaked\n");
  int preserved = OpenScratchFile("preserved", "");
  ASSERT_GE(leaked_dir, 0);
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "fds"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult run = rt().RunWithFds(
      {"run", "--preserve-fds", "1", "--bundle", bundle.dir(), NewId()}, {preserved});
  close(leaked_dir);
  close(leaked_file);
  close(preserved);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(FdNumbers(run.out), ElementsAre(0, 1, 2, 3)) << run.out;
  EXPECT_THAT(run.out, HasSubstr(fmt::format("3 -> {}/preserved\n", tmp()))) << run.out;
}

TEST_P(CreateOptionsTest, OnlyTheInitHoldsAPreservedFd) {
  // No runtime helper (runsc's sentry included) keeps the container's preserved fd open.
  int fd = OpenScratchFile("held", "");
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  ASSERT_TRUE(bundle.Write().ok());
  std::string id = NewId();
  RunResult create = rt().RunWithFds(
      {"create", "--preserve-fds", "1", "--bundle", bundle.dir(), id}, {fd});
  close(fd);
  ASSERT_EQ(create.exit_code, 0) << create;
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  int pid = (*state)["pid"].get<int>();
  std::vector<std::string> holders = ProcessesUsing(tmp() + "/held");
  ASSERT_EQ(holders.size(), 1u) << ::testing::PrintToString(holders);
  EXPECT_EQ(holders[0].substr(0, holders[0].find(' ')), std::to_string(pid));
}

TEST_P(CreateOptionsTest, NoPivotStillConfinesTheRoot) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"sh", "-c",
               fmt::format("/bin/payload cat /it-marker; /bin/payload stat {}; /bin/payload pid",
                           tmp())});
  ASSERT_TRUE(bundle.Write().ok());
  std::ofstream(bundle.rootfs() + "/it-marker") << "in the rootfs\n";
  RunResult run = rt().Run({"run", "--no-pivot", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(run.exit_code, 0) << run;
  // / is the rootfs: its marker is there, the host's test dir is not.
  EXPECT_EQ(run.out, "in the rootfs\nENOENT\n1\n") << run;
}

// The serial of this process's session keyring (joining the user session keyring if none).
long HostSessionKeyring() {
  return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
}

// runsc's syscall table denies keyctl to the workload: no keyring, new or the
// caller's, can be read or used from inside (the init still joins a new one).
void ExpectKeyctlDenied(const RunResult& run) {
  EXPECT_EQ(run.exit_code, 1) << run;
  EXPECT_THAT(run.out + run.err, ::testing::HasSubstr("EPERM")) << run;
}

TEST_P(CreateOptionsTest, NewSessionKeyringByDefault) {
  long host = HostSessionKeyring();
  ASSERT_GT(host, 0);
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "keyring"});
  std::string id = NewId();
  RunResult run = RunInBundle(bundle, id);
  if (IsRunsc()) return ExpectKeyctlDenied(run);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, MatchesRegex(fmt::format("[0-9]+ keyring;.*;_ses\\.{}\n", id))) << run;
  EXPECT_THAT(run.out, ::testing::Not(::testing::StartsWith(fmt::format("{} ", host)))) << run;
}

TEST_P(CreateOptionsTest, NoNewKeyringKeepsTheCallersSessionKeyring) {
  long host = HostSessionKeyring();
  ASSERT_GT(host, 0);
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "keyring"});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult run = rt().Run({"run", "--no-new-keyring", "--bundle", bundle.dir(), NewId()});
  if (IsRunsc()) return ExpectKeyctlDenied(run);
  EXPECT_EQ(run.exit_code, 0) << run;
  EXPECT_THAT(run.out, ::testing::StartsWith(fmt::format("{} keyring;", host))) << run;
}

}  // namespace
}  // namespace runsc::testing
