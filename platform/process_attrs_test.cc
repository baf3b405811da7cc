#include "platform/process_attrs.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/child_test_util.h"
#include "platform/status_matchers.h"

namespace platform {
namespace {

namespace fs = std::filesystem;
using ::platform::testing::IsOk;
using ::platform::testing::ReadWholeFile;
using ::platform::testing::ExpectInChild;
using ::platform::testing::StatusIs;
using ::testing::AllOf;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::Not;

// The value of `key` ("CapEff") in /proc/self/status.
std::string StatusField(const std::string& key) {
  std::ifstream file("/proc/self/status");
  for (std::string line; std::getline(file, line);) {
    if (line.rfind(key + ":", 0) == 0) {
      size_t start = line.find_first_not_of(" \t", key.size() + 1);
      return start == std::string::npos ? "" : line.substr(start);
    }
  }
  return "?";
}

std::string Mask(std::initializer_list<int> caps) {
  uint64_t mask = 0;
  for (int cap : caps) mask |= uint64_t{1} << cap;
  return fmt::format("{:016x}", mask);
}

class LookPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/runsc-lookpath-test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    std::ofstream(dir_ + "/tool") << "#!/bin/sh\n";
    std::ofstream(dir_ + "/plain") << "data\n";
    fs::permissions(dir_ + "/tool", fs::perms(0755));
    fs::permissions(dir_ + "/plain", fs::perms(0644));
    fs::create_directory(dir_ + "/subdir");
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(LookPathTest, SearchesPathInOrder) {
  EXPECT_EQ(LookPath("tool", "/nonexistent:" + dir_ + ":/bin").value_or("<error>"), dir_ + "/tool");
  EXPECT_EQ(LookPath("sh", "/usr/bin:/bin").value_or("<error>"), std::string("/usr/bin/sh"));
}

TEST_F(LookPathTest, NotFoundMessageIsRuncs) {
  const std::string path = dir_ + ":/bin";
  for (const std::string name : {"missing", "plain", "subdir", ""}) {
    EXPECT_THAT(LookPath(name, path),
                StatusIs(absl::StatusCode::kNotFound,
                         Eq(fmt::format("exec: \"{}\": executable file not found in $PATH", name))))
        << name;
  }
  EXPECT_THAT(LookPath("tool", ""), Not(IsOk()));
}

TEST_F(LookPathTest, NameWithSlashIsCheckedAsIs) {
  EXPECT_EQ(LookPath(dir_ + "/tool", "/bin").value_or("<error>"), dir_ + "/tool");
  EXPECT_THAT(LookPath("/nonexistent/x", "/bin"),
              StatusIs(absl::StatusCode::kNotFound,
                       Eq("exec: \"/nonexistent/x\": stat /nonexistent/x: no such file or "
                          "directory")));
  EXPECT_THAT(LookPath(dir_ + "/plain", "/bin"),
              StatusIs(absl::StatusCode::kPermissionDenied,
                       Eq(fmt::format("exec: \"{}/plain\": permission denied", dir_))));
  EXPECT_THAT(LookPath(dir_ + "/subdir", "/bin"), Not(IsOk()));
}

TEST_F(LookPathTest, EmptyPathEntryMeansCurrentDirectory) {
  ExpectInChild(
                [&]() -> std::string {
                  CHILD_EXPECT(chdir(dir_.c_str()) == 0);
                  auto found = LookPath("tool", "/nonexistent::");
                  CHILD_EXPECT(found.ok() && *found == "./tool");
                  auto relative = LookPath("./tool", "");
                  CHILD_EXPECT(relative.ok() && *relative == "./tool");
                  return "";
                },
                0);
}

TEST(CapabilitiesTest, UserAndCapabilitySetsAreApplied) {
  ExpectInChild(
                []() -> std::string {
                  CapabilitySets caps;
                  caps.bounding = {CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE};
                  caps.effective = {CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE};
                  caps.permitted = {CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE};
                  caps.inheritable = {CAP_NET_BIND_SERVICE};
                  caps.ambient = {CAP_NET_BIND_SERVICE};
                  CHILD_EXPECT_OK(LimitBoundingSet(caps.bounding));
                  CHILD_EXPECT_OK(ChangeUser(1000, 1001, {2000, 2001}));
                  CHILD_EXPECT_OK(ApplyCapabilities(caps).status());
                  CHILD_EXPECT(StatusField("Uid") == "1000\t1000\t1000\t1000");
                  CHILD_EXPECT(StatusField("Gid") == "1001\t1001\t1001\t1001");
                  CHILD_EXPECT(StatusField("Groups") == "2000 2001 ");
                  std::string all = Mask({CAP_CHOWN, CAP_KILL, CAP_NET_BIND_SERVICE});
                  CHILD_EXPECT(StatusField("CapBnd") == all);
                  CHILD_EXPECT(StatusField("CapEff") == all);
                  CHILD_EXPECT(StatusField("CapPrm") == all);
                  CHILD_EXPECT(StatusField("CapInh") == Mask({CAP_NET_BIND_SERVICE}));
                  CHILD_EXPECT(StatusField("CapAmb") == Mask({CAP_NET_BIND_SERVICE}));
                  return "";
                },
                0);
}

TEST(CapabilitiesTest, NoAdditionalGidsClearsGroups) {
  ExpectInChild(
                []() -> std::string {
                  gid_t group = 5;
                  CHILD_EXPECT(setgroups(1, &group) == 0);
                  CHILD_EXPECT_OK(ChangeUser(0, 0, {}));
                  CHILD_EXPECT(StatusField("Groups") == "");
                  return "";
                },
                0);
}

TEST(CapabilitiesTest, ErrorsNameTheCapability) {
  ExpectInChild(
                []() -> std::string {
                  CapabilitySets caps;
                  caps.permitted = caps.effective = {CAP_KILL, CAP_NET_BIND_SERVICE};
                  caps.ambient = {CAP_NET_BIND_SERVICE};  // not inheritable: a warning
                  absl::StatusOr<std::vector<std::string>> warnings = ApplyCapabilities(caps);
                  CHILD_EXPECT_OK(warnings.status());
                  CHILD_EXPECT(warnings->size() == 1);
                  CHILD_EXPECT(warnings->at(0).find("CAP_NET_BIND_SERVICE") != std::string::npos);
                  CHILD_EXPECT(StatusField("CapAmb") == "0000000000000000");
                  caps.ambient.clear();
                  CHILD_EXPECT_OK(ApplyCapabilities(caps).status());
                  caps.permitted.push_back(CAP_CHOWN);  // dropped above: cannot come back
                  absl::Status status = ApplyCapabilities(caps).status();
                  CHILD_EXPECT(status.code() == absl::StatusCode::kPermissionDenied);
                  CHILD_EXPECT(status.message().find("CAP_CHOWN") != absl::string_view::npos);
                  CapabilitySets unknown;
                  unknown.effective = {999};
                  CHILD_EXPECT(!ApplyCapabilities(unknown).ok());
                  return "";
                },
                0);
}

// Drops CAP_SYS_RESOURCE from the effective set, as on hosts whose bounding
// set lacks it.
bool DropSysResource() {
  cap_t caps = cap_get_proc();
  cap_value_t value = CAP_SYS_RESOURCE;
  bool ok = cap_set_flag(caps, CAP_EFFECTIVE, 1, &value, CAP_CLEAR) == 0 && cap_set_proc(caps) == 0;
  cap_free(caps);
  return ok;
}

TEST(RlimitTest, RaisingTheHardLimitExplainsWhatIsMissing) {
  ExpectInChild(
                []() -> std::string {
                  CHILD_EXPECT(DropSysResource());
                  struct rlimit current {};
                  CHILD_EXPECT(getrlimit(RLIMIT_NOFILE, &current) == 0);
                  absl::Status status = ApplyRlimit("RLIMIT_NOFILE", RLIMIT_NOFILE,
                                                    current.rlim_max + 1, current.rlim_max + 1);
                  CHILD_EXPECT(status.code() == absl::StatusCode::kPermissionDenied);
                  std::string message(status.message());
                  CHILD_EXPECT(message.find("RLIMIT_NOFILE") != std::string::npos);
                  CHILD_EXPECT(message.find("needs CAP_SYS_RESOURCE") != std::string::npos);
                  CHILD_EXPECT_OK(ApplyRlimit("RLIMIT_NOFILE", RLIMIT_NOFILE, 100, current.rlim_max));
                  struct rlimit after {};
                  CHILD_EXPECT(getrlimit(RLIMIT_NOFILE, &after) == 0 && after.rlim_cur == 100);
                  status = ApplyRlimit("RLIMIT_NOFILE", RLIMIT_NOFILE, 50, 10);
                  CHILD_EXPECT(status.message().find("soft limit is above the hard limit") !=
                               absl::string_view::npos);
                  return "";
                },
                0);
}

TEST(ProcessAttrsTest, NoNewPrivilegesAndOomScore) {
  ExpectInChild(
                []() -> std::string {
                  CHILD_EXPECT(StatusField("NoNewPrivs") == "0");
                  CHILD_EXPECT_OK(SetNoNewPrivileges());
                  CHILD_EXPECT(StatusField("NoNewPrivs") == "1");
                  CHILD_EXPECT_OK(SetOomScoreAdj(123));
                  CHILD_EXPECT(ReadWholeFile("/proc/self/oom_score_adj") == "123\n");
                  return "";
                },
                0);
}

TEST(SysctlTest, RejectsKeysThatCouldEscapeProcSys) {
  for (const std::string key : {"", ".", "a..b", "../x", "a/b", "kernel.", ".kernel",
                                "kernel hostname", "kernel.*"}) {
    EXPECT_THAT(WriteSysctl(key, "1"), StatusIs(absl::StatusCode::kInvalidArgument,
                                                HasSubstr("invalid sysctl key")))
        << key;
  }
}

TEST(SysctlTest, WritesTheValueInTheCallersNamespace) {
  ExpectInChild(
                []() -> std::string {
                  CHILD_EXPECT_OK(WriteSysctl("kernel.hostname", "sysctl-box"));
                  char name[64] = {};
                  CHILD_EXPECT(gethostname(name, sizeof(name)) == 0);
                  CHILD_EXPECT(std::string(name) == "sysctl-box");
                  absl::Status missing = WriteSysctl("kernel.no_such_key", "1");
                  CHILD_EXPECT(missing.message().find("setting sysctl kernel.no_such_key") !=
                               absl::string_view::npos);
                  return "";
                },
                CLONE_NEWUTS);
}

TEST(UtsTest, HostnameAndDomainname) {
  ExpectInChild(
                []() -> std::string {
                  CHILD_EXPECT_OK(SetHostname("box"));
                  CHILD_EXPECT_OK(SetDomainname("example.org"));
                  struct utsname uts {};
                  CHILD_EXPECT(uname(&uts) == 0);
                  CHILD_EXPECT(std::string(uts.nodename) == "box");
                  CHILD_EXPECT(std::string(uts.domainname) == "example.org");
                  return "";
                },
                CLONE_NEWUTS);
}

}  // namespace
}  // namespace platform
