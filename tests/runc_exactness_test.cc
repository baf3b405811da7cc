// Where users and tools notice runc's exact behaviour (issue 20): rootfs
// propagation, namespaces a spec leaves out, linux.mountLabel, and the exit
// codes and messages of kill and delete in every state (containerd matches
// "container not running" and "does not exist" in them).
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

class RuncExactnessTest : public IntegrationTest {
 protected:
  // The mountinfo line of the container's "/" as the container sees it.
  std::string RootMountLine(const std::string& propagation, RunResult& result) {
    BundleBuilder bundle = NewBundle();
    bundle.Args({"sh", "-c", "cat /proc/self/mountinfo"});
    bundle.MergePatch({{"linux", {{"rootfsPropagation", propagation}}}});
    result = RunInBundle(bundle);
    for (const std::string& line : Lines(result.out)) {
      std::istringstream fields(line);
      std::string id, parent, device, root, mount_point;
      fields >> id >> parent >> device >> root >> mount_point;
      if (mount_point == "/") return line;
    }
    return "";
  }

  // Brings a fresh sleeper to `state`: created, running, paused or stopped.
  std::string ContainerIn(const std::string& state) {
    BundleBuilder bundle = NewBundle();
    bundle.Args({"/bin/payload", "sleep", "1000"});
    std::string id = NewId();
    CreateOrDie(bundle, id);
    if (state != "created") {
      EXPECT_EQ(rt().Run({"start", id}).exit_code, 0);
    }
    if (state == "paused") {
      EXPECT_EQ(rt().Run({"pause", id}).exit_code, 0);
    }
    if (state == "stopped") {
      EXPECT_EQ(rt().Run({"kill", id, "KILL"}).exit_code, 0);
      EXPECT_TRUE(WaitForStatus(id, "stopped"));
    }
    EXPECT_TRUE(WaitForStatus(id, state));
    return id;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(RuncExactnessTest);

// True if the host's / has shared propagation (then "slave" shows a master).
bool HostRootIsShared() {
  for (const std::string& line : Lines(ReadFile("/proc/self/mountinfo"))) {
    std::istringstream fields(line);
    std::string id, parent, device, root, mount_point;
    fields >> id >> parent >> device >> root >> mount_point;
    if (mount_point == "/") return line.find(" shared:") != std::string::npos;
  }
  return false;
}

TEST_P(RuncExactnessTest, EveryRootfsPropagationWorksAndIsTheRootsPropagation) {
  for (const std::string base : {"shared", "slave", "private", "unbindable"}) {
    for (const std::string& value : {base, "r" + base}) {
      SCOPED_TRACE(value);
      RunResult result;
      std::string root = RootMountLine(value, result);
      if (!IsRunsc() && base == "unbindable") {
        // runc 1.1.5 makes / unbindable before binding the rootfs onto itself,
        // which the kernel then refuses (EINVAL); runc 1.2 and crun run it.
        EXPECT_EQ(result.exit_code, 1) << result;
        continue;
      }
      ASSERT_EQ(result.exit_code, 0) << result;
      ASSERT_FALSE(root.empty()) << result;
      // runc 1.1.5 leaves the new root private whatever was asked; runsc
      // gives the root the propagation asked for (the OCI spec's "the
      // rootfs's mount propagation"), as crun does.
      if (!IsRunsc()) continue;
      EXPECT_EQ(root.find(" shared:") != std::string::npos, base == "shared")
          << root;
      EXPECT_EQ(root.find(" unbindable") != std::string::npos,
                base == "unbindable")
          << root;
      if (base == "slave" && HostRootIsShared()) {
        EXPECT_THAT(root, HasSubstr(" master:"));
      }
      if (base == "private") {
        EXPECT_THAT(root, Not(HasSubstr(" master:")));
      }
    }
  }
  ExpectNothingLeft();
}

TEST_P(RuncExactnessTest, NamespacesTheSpecLeavesOutAreInherited) {
  if (!IsRunsc()) {
    // runc 1.1.5 without a mount namespace mounts the spec's mounts (and the
    // rootfs bind) in the host's mount namespace and leaves them there.
    GTEST_SKIP() << "runc 1.1 leaks the container's mounts into the host "
                    "without a mount namespace";
  }
  BundleBuilder bundle = NewBundle();
  for (const char* type : {"mount", "network", "ipc", "uts", "pid"})
    bundle.RemoveNamespace(type);
  bundle.Hostname("");
  bundle.Args({"sh", "-c",
               "for ns in net ipc uts pid; do readlink /proc/self/ns/$ns; "
               "done; echo $$"});
  RunResult result = RunInBundle(bundle);
  ASSERT_EQ(result.exit_code, 0) << result;
  std::vector<std::string> lines = Lines(result.out);
  ASSERT_EQ(lines.size(), 5u) << result;
  std::vector<std::string> kinds = {"net", "ipc", "uts", "pid"};
  for (size_t i = 0; i < kinds.size(); ++i) {
    char link[256] = {};
    ASSERT_GT(readlink(fmt::format("/proc/self/ns/{}", kinds[i]).c_str(), link,
                       sizeof(link) - 1),
              0);
    EXPECT_EQ(lines[i], link) << kinds[i];
  }
  EXPECT_NE(lines[4], "1") << "no pid namespace: the workload is not pid 1";
  // The sandbox's own mount namespace (README): nothing reached the host's.
  ExpectNothingLeft();
}

TEST_P(RuncExactnessTest, MountLabelIsIgnoredWithoutSelinux) {
  if (access("/sys/fs/selinux/enforce", F_OK) == 0)
    GTEST_SKIP() << "SELinux is enabled on this host";
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "exit", "0"});
  bundle.MergePatch(
      {{"linux",
        {{"mountLabel", "system_u:object_r:container_file_t:s0:c1,c2"}}}});
  RunResult result = RunInBundle(bundle);
  if (!IsRunsc()) {
    // runc 1.1.5 adds context="..." to every mount's data even without
    // SELinux, and tmpfs refuses it (EINVAL); crun ignores the label.
    EXPECT_EQ(result.exit_code, 1) << result;
    return;
  }
  EXPECT_EQ(result.exit_code, 0) << result;
}

// One row of runc 1.1.5's behaviour, found by running it on this bundle.
struct KillDeleteCase {
  std::string state;
  std::vector<std::string>
      command;  // the container id goes after the flags, signal last
  int exit_code;
  std::string message;  // a substring of stderr ("" when it prints nothing)
};

std::vector<std::string> WithId(const std::vector<std::string>& command,
                                const std::string& id) {
  std::vector<std::string> args;
  bool placed = false;
  for (const std::string& arg : command) {
    if (!placed && arg.rfind("-", 0) != 0 && &arg != &command.front()) {
      args.push_back(id);
      placed = true;
    }
    args.push_back(arg);
  }
  if (!placed) args.push_back(id);
  return args;
}

TEST_P(RuncExactnessTest, KillAndDeleteExitCodesInEveryStateAreRuncs) {
  const std::vector<KillDeleteCase> cases = {
      {"created", {"delete"}, 0, ""},
      {"created", {"delete", "--force"}, 0, ""},
      {"created", {"kill", "KILL"}, 0, ""},
      {"created", {"kill", "--all", "KILL"}, 0, ""},
      {"created", {"kill", "0"}, 0, ""},
      {"running", {"delete"}, 1, "that is not stopped: running"},
      {"running", {"delete", "--force"}, 0, ""},
      {"running", {"kill"}, 0, ""},
      {"running", {"kill", "KILL"}, 0, ""},
      {"running", {"kill", "--all", "KILL"}, 0, ""},
      {"running", {"kill", "0"}, 0, ""},
      {"paused", {"delete"}, 1, "that is not stopped: paused"},
      {"paused", {"delete", "--force"}, 0, ""},
      {"paused", {"kill", "KILL"}, 0, ""},
      {"paused", {"kill", "--all", "KILL"}, 0, ""},
      {"stopped", {"delete"}, 0, ""},
      {"stopped", {"delete", "--force"}, 0, ""},
      {"stopped", {"kill"}, 1, "container not running"},
      {"stopped", {"kill", "KILL"}, 1, "container not running"},
      {"stopped", {"kill", "0"}, 1, "container not running"},
      {"stopped", {"kill", "--all"}, 0, ""},
      {"stopped", {"kill", "--all", "KILL"}, 0, ""},
      {"stopped", {"kill", "--all", "0"}, 0, ""},
  };
  for (const KillDeleteCase& row : cases) {
    std::string id = ContainerIn(row.state);
    std::vector<std::string> args = WithId(row.command, id);
    SCOPED_TRACE(fmt::format("{}: {}", row.state, fmt::join(args, " ")));
    RunResult result = rt().Run(args);
    EXPECT_EQ(result.exit_code, row.exit_code) << result;
    if (row.message.empty()) {
      EXPECT_EQ(result.err, "") << result;
    } else {
      EXPECT_THAT(result.err, HasSubstr(row.message)) << result;
      ExpectOneLineError(result);
    }
    if (row.command.front() == "delete" && row.exit_code == 0) {
      EXPECT_FALSE(State(id).ok());
    }
    if (row.command.front() == "kill" && row.command.back() == "KILL") {
      EXPECT_TRUE(WaitForStatus(id, "stopped"));
    }
    rt().Run({"delete", "--force", id});
  }
  ExpectNothingLeft();
}

// runc's init is a Go program, which dies of SIGTERM, SIGINT, SIGHUP and
// SIGQUIT: `kill` of a created container stops it.
TEST_P(RuncExactnessTest, TermStopsACreatedContainer) {
  for (const char* signal : {"TERM", "INT", "HUP", "QUIT"}) {
    SCOPED_TRACE(signal);
    std::string id = ContainerIn("created");
    RunResult kill = rt().Run({"kill", id, signal});
    EXPECT_EQ(kill.exit_code, 0) << kill;
    EXPECT_TRUE(WaitForStatus(id, "stopped"));
    rt().Run({"delete", "--force", id});
  }
  ExpectNothingLeft();
}

TEST_P(RuncExactnessTest, KillAndDeleteOfAMissingContainerSayItDoesNotExist) {
  std::string id = NewId();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"kill", id, "KILL"},
        {"kill", "--all", id, "KILL"},
        {"delete", id}}) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(args, " ")));
    RunResult result = rt().Run(args);
    ExpectOneLineError(result);
    EXPECT_THAT(result.err, HasSubstr("does not exist"));
  }
  RunResult forced = rt().Run({"delete", "--force", id});
  EXPECT_EQ(forced.exit_code, 0) << forced;
}

TEST_P(RuncExactnessTest, AFailedCreateSaysCreateFailed) {
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"process", {{"cwd", "relative"}}}});
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  // runc: "runc create failed: Cwd must be an absolute path"; the containerd
  // shim shows that message after "OCI runtime create failed: ".
  std::string self = IsRunsc() ? "runsc" : "runc";
  EXPECT_THAT(result.err, HasSubstr(self + " create failed: ")) << result;
  ExpectNothingLeft();
}

TEST_P(RuncExactnessTest, UninstallSaysWhatItRemoved) {
  if (!IsRunsc()) GTEST_SKIP() << "runc has no install/uninstall";
  std::string config = tmp() + "/daemon.json";
  RunResult install =
      rt().RunRaw({"install", "--runtime", "foo", "--config", config});
  ASSERT_EQ(install.exit_code, 0) << install;
  RunResult removed =
      rt().RunRaw({"uninstall", "--runtime", "foo", "--config", config});
  EXPECT_EQ(removed.exit_code, 0) << removed;
  EXPECT_THAT(removed.out, Not(HasSubstr("is not registered"))) << removed;
  EXPECT_THAT(removed.out, HasSubstr("removed runtime \"foo\"")) << removed;
  RunResult again =
      rt().RunRaw({"uninstall", "--runtime", "foo", "--config", config});
  EXPECT_EQ(again.exit_code, 0) << again;
  EXPECT_THAT(again.out,
              HasSubstr("runtime \"foo\" is not registered; nothing changed"))
      << again;
}

}  // namespace
}  // namespace runsc::testing
