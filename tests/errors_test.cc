// Integration tests of bad input: each fails with exit 1, one line naming the problem, and
// leaves no state dir, process, mount or cgroup behind.
#include <algorithm>
#include <cctype>
#include <string>

#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

class ErrorsTest : public IntegrationTest {
 protected:
  // Creates `id` from `bundle` (written first) expecting a one-line failure; returns it.
  RunResult CreateFails(BundleBuilder& bundle, const std::string& id) {
    EXPECT_TRUE(bundle.Write().ok());
    RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
    ExpectOneLineError(result);
    ExpectNothingLeft();
    return result;
  }
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(ErrorsTest);

// Lowercase copy of `text`.
std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return text;
}

TEST_P(ErrorsTest, MissingBundle) {
  std::string missing = tmp() + "/no-such-bundle";
  RunResult result = rt().Run({"create", "--bundle", missing, NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr(missing));  // runc: "chdir <bundle>: no such file ..."
  ExpectNothingLeft();
}

TEST_P(ErrorsTest, MissingConfigJson) {
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  std::filesystem::remove(bundle.dir() + "/config.json");
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), NewId()});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("config.json"));  // runc: "... config.json not found"
  ExpectNothingLeft();
}

TEST_P(ErrorsTest, MalformedJsonSyntax) {
  BundleBuilder bundle = NewBundle();
  bundle.RawConfig("{\"ociVersion\": ");
  RunResult result = CreateFails(bundle, NewId());
  // runc only says "unexpected EOF"; runsc names the file.
  if (IsRunsc()) {
    EXPECT_THAT(result.err, HasSubstr("config.json"));
  }
}

TEST_P(ErrorsTest, WrongTypeNamesTheField) {
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"process", {{"args", "sh"}}}});
  RunResult result = CreateFails(bundle, NewId());
  EXPECT_THAT(result.err, HasSubstr("process.args"));
}

TEST_P(ErrorsTest, UnknownRequiredFieldIsRejected) {
  // A required field of the wrong kind: root.path missing entirely.
  BundleBuilder bundle = NewBundle();
  bundle.MergePatch({{"root", nullptr}});
  RunResult result = CreateFails(bundle, NewId());
  EXPECT_THAT(Lower(result.err), HasSubstr("root"));
}

TEST_P(ErrorsTest, EmptyArgs) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({});
  RunResult result = CreateFails(bundle, NewId());
  EXPECT_THAT(result.err, HasSubstr("args"));  // runc: "args must not be empty"
}

TEST_P(ErrorsTest, MissingRootfs) {
  BundleBuilder bundle = NewBundle();
  bundle.WithoutRootfs();
  RunResult result = CreateFails(bundle, NewId());
  EXPECT_THAT(result.err, HasSubstr("rootfs"));  // runc: "invalid rootfs: stat ...: no such file"
}

TEST_P(ErrorsTest, InvalidIds) {
  for (const char* id : {"../x", "a/b", ""}) {
    SCOPED_TRACE(id);
    BundleBuilder bundle = NewBundle();
    RunResult result = CreateFails(bundle, id);
    // runc: "invalid container ID format" / "container id cannot be empty".
    EXPECT_THAT(Lower(result.err), HasSubstr("container id"));
  }
}

TEST_P(ErrorsTest, DuplicateId) {
  std::string id = NewId();
  BundleBuilder first = NewBundle();
  first.Args({"/bin/payload", "sleep", "1000"});
  CreateOrDie(first, id);
  BundleBuilder second = NewBundle();
  ASSERT_TRUE(second.Write().ok());
  RunResult result = rt().Run({"create", "--bundle", second.dir(), id});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("already exists"));  // runc: "container with given ID already exists"
  if (IsRunsc()) {
    EXPECT_THAT(result.err, HasSubstr(id));
  }
  ExpectNothingLeft({id});
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)["status"], "created");  // The first container is untouched.
  EXPECT_EQ((*state)["bundle"], first.dir());
}

TEST_P(ErrorsTest, StartOfARunningContainer) {
  std::string id = NewId();
  StartSleeper(id);
  RunResult result = rt().Run({"start", id});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("running"));  // runc: "cannot start an already running container"
  EXPECT_TRUE(WaitForStatus(id, "running"));
}

TEST_P(ErrorsTest, StartOfAStoppedContainer) {
  std::string id = NewId();
  StartSleeper(id);
  ASSERT_EQ(rt().Run({"kill", id, "KILL"}).exit_code, 0);
  ASSERT_TRUE(WaitForStatus(id, "stopped"));
  RunResult result = rt().Run({"start", id});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("stopped"));  // runc: "cannot start a container that has stopped"
}

TEST_P(ErrorsTest, DeleteOfARunningContainerWithoutForce) {
  std::string id = NewId();
  StartSleeper(id);
  RunResult result = rt().Run({"delete", id});
  ExpectOneLineError(result);
  // runc: "cannot delete container <id> that is not stopped: running"
  EXPECT_THAT(result.err, HasSubstr("not stopped"));
  EXPECT_THAT(result.err, HasSubstr(id));
  EXPECT_TRUE(WaitForStatus(id, "running"));
  ExpectNothingLeft({id});
}

TEST_P(ErrorsTest, UnknownSignal) {
  std::string id = NewId();
  StartSleeper(id);
  RunResult result = rt().Run({"kill", id, "SIGFOO"});
  ExpectOneLineError(result);
  EXPECT_THAT(result.err, HasSubstr("unknown signal"));  // runc: unknown signal "SIGFOO"
  EXPECT_THAT(result.err, HasSubstr("FOO"));
  EXPECT_TRUE(WaitForStatus(id, "running"));
}

TEST_P(ErrorsTest, MissingContainer) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"state", "nope"}, {"kill", "nope", "KILL"}, {"delete", "nope"}, {"start", "nope"},
           {"ps", "nope"}}) {
    SCOPED_TRACE(args[0]);
    RunResult result = rt().Run(args);
    ExpectOneLineError(result);
    EXPECT_THAT(result.err, HasSubstr("does not exist"));  // runc: "container does not exist"
    if (IsRunsc()) {
      EXPECT_THAT(result.err, HasSubstr("nope"));
    }
  }
  ExpectNothingLeft();
}

TEST_P(ErrorsTest, UnknownCommand) {
  RunResult result = rt().Run({"frobnicate"});
  EXPECT_NE(result.exit_code, 0) << result;
  EXPECT_THAT(result.err, HasSubstr("frobnicate"));
  // runc 1.1 exits 3 here (urfave/cli's "No help topic"); runsc gives the usage error, exit 1.
  if (IsRunsc()) ExpectOneLineError(result);
}

TEST_P(ErrorsTest, UnknownFlag) {
  RunResult result = rt().Run({"list", "--bogus"});
  ExpectOneLineError(result);  // runc prints the usage on stdout and one error line on stderr.
  EXPECT_THAT(result.err, HasSubstr("bogus"));
}

TEST_P(ErrorsTest, ConsoleSocketWithoutTerminal) {
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"create", "--console-socket", tmp() + "/console.sock", "--bundle",
                               bundle.dir(), NewId()});
  ExpectOneLineError(result);
  // runc: "cannot use console socket if runc will not detach or allocate tty".
  EXPECT_THAT(Lower(result.err), ::testing::ContainsRegex("console.socket"));
  ExpectNothingLeft();
}

TEST_P(ErrorsTest, SystemdCgroupDriver) {
  BundleBuilder bundle = NewBundle();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result =
      rt().RunRaw({"--root", rt().root(), "--systemd-cgroup", "create", "--bundle", bundle.dir(),
                   NewId()});
  ExpectOneLineError(result);
  // Both have a systemd driver (systemd_cgroup_test.cc) and refuse our cgroupsPath, which is
  // not "slice:prefix:name"; runsc names the field.
  EXPECT_THAT(result.err, HasSubstr("slice:prefix:name"));
  if (IsRunsc()) {
    EXPECT_THAT(result.err, HasSubstr("linux.cgroupsPath"));
  }
  ExpectNothingLeft();
}

TEST_P(ErrorsTest, CgroupsPathClimbingOut) {
  std::string name = "runsc-it-escape-" + tmp().substr(tmp().size() - 6);
  BundleBuilder bundle = NewBundle();
  bundle.CgroupsPath("../../" + name);
  if (IsRunsc()) {
    RunResult result = CreateFails(bundle, NewId());
    EXPECT_THAT(result.err, HasSubstr("cgroupsPath"));
  } else {
    // runc 1.1 does not refuse it: it cleans "../../x" to "x" below its own cgroup (the root
    // here); its delete removes that cgroup again.
    ASSERT_TRUE(bundle.Write().ok());
    std::string id = NewId();
    RunResult create = rt().Run({"create", "--bundle", bundle.dir(), id});
    EXPECT_EQ(create.exit_code, 0) << create;
    RunResult del = rt().Run({"delete", "--force", id});
    EXPECT_EQ(del.exit_code, 0) << del;
  }
  EXPECT_THAT(CgroupDirs("/" + name), ::testing::IsEmpty());
}

TEST_P(ErrorsTest, DeviceWithARelativePath) {
  // runc 1.1.5 accepts a relative linux.devices path (it joins it to the rootfs); the spec says
  // the path is "full path to device inside container", which runsc enforces.
  if (!IsRunsc()) GTEST_SKIP() << "runc 1.1.5 accepts relative device paths";
  BundleBuilder bundle = NewBundle();
  bundle.Device("dev/it-null", "c", 1, 3, 0666);
  RunResult result = CreateFails(bundle, NewId());
  EXPECT_THAT(result.err, HasSubstr("dev/it-null"));
}

TEST_P(ErrorsTest, NamespacePathThatDoesNotExist) {
  std::string missing = tmp() + "/no-such-ns";
  BundleBuilder bundle = NewBundle();
  bundle.Namespace("ipc", missing);
  RunResult result = CreateFails(bundle, NewId());
  EXPECT_THAT(result.err, HasSubstr(missing));
}

}  // namespace
}  // namespace runsc::testing
