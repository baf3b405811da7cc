// Unit tests of ParseSpec / LoadSpec, DefaultSpec, FeaturesDocument and
// platform::CapabilityFromName.
#include "runsc/spec.h"

#include <linux/capability.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/process_attrs.h"
#include "platform/status_matchers.h"

namespace runsc {
namespace {

using json = nlohmann::json;
using platform::testing::IsOk;
using platform::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;

constexpr char kBundle[] = "/bundle";

// The smallest document ParseSpec accepts.
json Minimal() {
  return json::parse(R"({
    "ociVersion": "1.0.2",
    "root": {"path": "rootfs"},
    "process": {"args": ["sh"], "cwd": "/"},
    "linux": {"namespaces": [{"type": "mount"}]}
  })");
}

// `doc` with the value at JSON pointer `pointer` replaced by `value`.
json With(json doc, const std::string& pointer, json value) {
  doc[json::json_pointer(pointer)] = std::move(value);
  return doc;
}

// `doc` without the value at JSON pointer `pointer`.
json Without(json doc, const std::string& pointer) {
  json::json_pointer ptr(pointer);
  doc[ptr.parent_pointer()].erase(ptr.back());
  return doc;
}

absl::Status ParseStatus(const json& doc) { return ParseSpec(doc, kBundle).status(); }

// Matches an InvalidArgument error whose message is exactly `message`.
auto InvalidIs(const std::string& message) {
  return StatusIs(absl::StatusCode::kInvalidArgument, message);
}

// Matches an Unimplemented "config.json: <path>: ...not supported yet".
auto NotSupportedAt(const std::string& path) {
  return StatusIs(absl::StatusCode::kUnimplemented,
                  ::testing::AllOf(::testing::StartsWith("config.json: " + path + ": "),
                                   ::testing::EndsWith("not supported yet")));
}

// A document with one extra mount using `options`.
json WithMount(json mount) { return With(Minimal(), "/mounts", json::array({std::move(mount)})); }

// CapabilityFromName's number, or -1 on error.
int CapNumber(const std::string& name) {
  absl::StatusOr<int> cap = platform::CapabilityFromName(name);
  return cap.ok() ? *cap : -1;
}

absl::StatusOr<Mount> ParseOneMount(const json& mount) {
  absl::StatusOr<Spec> spec = ParseSpec(WithMount(mount), kBundle);
  if (!spec.ok()) return spec.status();
  return spec->mounts.at(0);
}

// ---- the default document ----

TEST(DefaultSpecTest, RoundTripsThroughParseSpec) {
  absl::StatusOr<Spec> spec = ParseSpec(DefaultSpec(false), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->oci_version, "1.0.2-dev");
  EXPECT_EQ(spec->root_path, "/bundle/rootfs");
  EXPECT_TRUE(spec->root_readonly);
  EXPECT_TRUE(spec->process.terminal);
  EXPECT_THAT(spec->process.args, ElementsAre("sh"));
  EXPECT_EQ(spec->process.cwd, "/");
  EXPECT_TRUE(spec->process.no_new_privileges);
  EXPECT_THAT(spec->process.capabilities.bounding,
              ElementsAre(CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE));
  EXPECT_TRUE(spec->process.capabilities.inheritable.empty());
  ASSERT_EQ(spec->process.rlimits.size(), 1u);
  EXPECT_EQ(spec->process.rlimits[0].resource, RLIMIT_NOFILE);
  EXPECT_EQ(spec->process.rlimits[0].soft, 1024u);
  EXPECT_EQ(spec->hostname, "runsc");
  ASSERT_EQ(spec->mounts.size(), 7u);
  EXPECT_EQ(spec->mounts[2].destination, "/dev/pts");
  EXPECT_EQ(spec->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
  EXPECT_EQ(spec->mounts[2].flags, static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC));
  EXPECT_EQ(spec->mounts[5].flags,
            static_cast<unsigned long>(MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  ASSERT_EQ(spec->linux.namespaces.size(), 5u);
  EXPECT_EQ(spec->linux.FindNamespace("network")->clone_flag, CLONE_NEWNET);
  ASSERT_EQ(spec->linux.device_rules.size(), 1u);
  EXPECT_FALSE(spec->linux.device_rules[0].allow);
  EXPECT_EQ(spec->linux.device_rules[0].type, 'a');
  EXPECT_EQ(spec->linux.device_rules[0].access, "rwm");
  EXPECT_EQ(spec->linux.masked_paths.size(), 10u);
  EXPECT_EQ(spec->linux.readonly_paths.size(), 5u);
}

TEST(DefaultSpecTest, RootlessParsesWithItsMappings) {
  absl::StatusOr<Spec> spec = ParseSpec(DefaultSpec(true), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_TRUE(spec->linux.CreatesUserNamespace());
  ASSERT_EQ(spec->linux.uid_mappings.size(), 1u);
  EXPECT_EQ(spec->linux.uid_mappings[0].host_id, geteuid());
  EXPECT_EQ(spec->linux.uid_mappings[0].size, 1u);
  ASSERT_EQ(spec->linux.gid_mappings.size(), 1u);
  EXPECT_EQ(spec->linux.gid_mappings[0].host_id, getegid());
}

TEST(UserNamespaceSpecTest, NewUserNamespaceNeedsBothMappings) {
  json doc = DefaultSpec(true);
  doc["linux"].erase("gidMappings");
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("linux.gidMappings: required with a new user namespace")));
  doc["linux"].erase("uidMappings");
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("linux.uidMappings")));
}

TEST(UserNamespaceSpecTest, MappingsWithoutUserNamespaceAreAnError) {
  json doc = DefaultSpec(true);
  doc["linux"]["namespaces"].erase(4);  // user
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("linux.uidMappings: set, but there is no user namespace")));
}

TEST(UserNamespaceSpecTest, AJoinedUserNamespaceTakesBothMappingsOrNeither) {
  json doc = DefaultSpec(true);
  doc["linux"]["namespaces"][4]["path"] = "/proc/1/ns/user";
  EXPECT_THAT(ParseStatus(doc), IsOk());
  doc["linux"].erase("gidMappings");
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("linux.gidMappings: required with the other one")));
  doc["linux"].erase("uidMappings");
  EXPECT_THAT(ParseStatus(doc), IsOk());
}

TEST(UserNamespaceSpecTest, MappingFieldsAreChecked) {
  json doc = DefaultSpec(true);
  doc["linux"]["uidMappings"][0]["size"] = 0;
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("linux.uidMappings[0].size: must be at least 1")));
  doc["linux"]["uidMappings"][0].erase("size");
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("linux.uidMappings[0].size")));
  doc["linux"]["uidMappings"][0]["size"] = 1;
  doc["linux"]["uidMappings"][0]["hostID"] = -1;
  EXPECT_THAT(ParseStatus(doc), StatusIs(absl::StatusCode::kInvalidArgument,
                                         HasSubstr("linux.uidMappings[0].hostID")));
}

TEST(DefaultSpecTest, RootlessWithoutUserNamespaceParses) {
  json doc = DefaultSpec(true);
  doc["linux"].erase("uidMappings");
  doc["linux"].erase("gidMappings");
  doc["linux"]["namespaces"].erase(4);  // user
  absl::StatusOr<Spec> spec = ParseSpec(doc, kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_FALSE(spec->linux.HasNamespace("network"));
  const Mount& sys = spec->mounts[5];
  EXPECT_TRUE(sys.is_bind());
  EXPECT_EQ(sys.type, "bind");
  EXPECT_EQ(sys.source, "/sys");
  EXPECT_EQ(sys.flags & (MS_BIND | MS_REC), static_cast<unsigned long>(MS_BIND | MS_REC));
  EXPECT_EQ(spec->mounts[2].data, "newinstance,ptmxmode=0666,mode=0620");
}

TEST(DefaultSpecTest, RootlessMapsTheCallersIds) {
  const nlohmann::ordered_json doc = DefaultSpec(true);
  EXPECT_EQ(doc["linux"]["uidMappings"][0]["hostID"], geteuid());
  EXPECT_EQ(doc["linux"]["gidMappings"][0]["hostID"], getegid());
  EXPECT_EQ(doc["linux"]["namespaces"].back()["type"], "user");
  EXPECT_FALSE(doc["linux"].contains("resources"));
}

// Runs `runc spec [--rootless]` in a temporary directory; nullopt without runc.
std::optional<json> RuncSpec(bool rootless) {
  if (access("/usr/sbin/runc", X_OK) != 0) return std::nullopt;
  char dir_template[] = "/tmp/spec_test.XXXXXX";
  const char* dir = mkdtemp(dir_template);
  if (dir == nullptr) return std::nullopt;
  const std::string command = std::string("cd ") + dir + " && /usr/sbin/runc spec" +
                              (rootless ? " --rootless" : "") + " 2>/dev/null";
  const int rc = std::system(command.c_str());
  std::ifstream in(std::string(dir) + "/config.json");
  std::optional<json> doc;
  if (rc == 0 && in) doc = json::parse(in);
  std::filesystem::remove_all(dir);
  return doc;
}

TEST(DefaultSpecTest, MatchesRuncSpecButTheHostname) {
  for (bool rootless : {false, true}) {
    std::optional<json> runc = RuncSpec(rootless);
    if (!runc.has_value()) GTEST_SKIP() << "runc not installed";
    (*runc)["hostname"] = "runsc";
    EXPECT_EQ(json(DefaultSpec(rootless)), *runc) << "rootless=" << rootless;
  }
}

TEST(DefaultSpecTest, KeepsRuncKeyOrder) {
  const std::string text = DefaultSpec(false).dump();
  EXPECT_TRUE(text.starts_with(R"({"ociVersion":"1.0.2-dev","process":{"terminal":true,)")) << text;
}

// ---- features ----

TEST(FeaturesTest, HasTheOciShape) {
  const json doc = FeaturesDocument();
  EXPECT_EQ(doc["ociVersionMin"], "1.0.0");
  EXPECT_EQ(doc["ociVersionMax"], "1.0.2-dev");
  EXPECT_EQ(doc["hooks"], json({"prestart", "createRuntime", "createContainer", "startContainer", "poststart",
                                "poststop"}));
  EXPECT_EQ(doc["linux"]["namespaces"], json({"cgroup", "ipc", "mount", "network", "pid", "uts"}));
  EXPECT_EQ(doc["linux"]["cgroup"]["v2"], true);
  EXPECT_EQ(doc["linux"]["cgroup"]["systemd"], true);
  EXPECT_EQ(doc["linux"]["seccomp"]["enabled"], true);
  EXPECT_THAT(doc["linux"]["seccomp"]["actions"], ::testing::Contains("SCMP_ACT_NOTIFY"));
  EXPECT_EQ(doc["linux"]["apparmor"]["enabled"], false);
  EXPECT_EQ(doc["linux"]["selinux"]["enabled"], false);
  EXPECT_TRUE(doc["annotations"].contains("org.opencontainers.runsc.version"));
  const std::vector<std::string> options = doc["mountOptions"];
  EXPECT_THAT(options, ::testing::IsSupersetOf({"ro", "rw", "nosuid", "rbind", "rprivate",
                                                "relatime", "strictatime", "remount"}));
  EXPECT_THAT(options, ::testing::IsSupersetOf({"rro", "rrw", "rnosuid", "rnoexec"}));
  EXPECT_THAT(options, ::testing::Not(::testing::Contains("idmap")));
  EXPECT_TRUE(std::is_sorted(options.begin(), options.end()));
}

TEST(MountTest, RecursiveAttributesAreRuncs) {
  absl::StatusOr<Mount> mount = ParseOneMount({{"destination", "/m"},
                                               {"type", "bind"},
                                               {"source", "/x"},
                                               {"options", {"rbind", "rro", "rnosuid", "rrelatime", "rsuid"}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_EQ(mount->recursive_set, uint64_t{MOUNT_ATTR_RDONLY | MOUNT_ATTR_RELATIME});
  // relatime is the value 0 of the atime field: set with the whole field cleared, as runc.
  EXPECT_EQ(mount->recursive_clear, uint64_t{MOUNT_ATTR_NOSUID | MOUNT_ATTR__ATIME});
  EXPECT_EQ(mount->flags & MS_RDONLY, 0u);
  EXPECT_EQ(mount->data, "");
  absl::StatusOr<Mount> cleared = ParseOneMount(
      {{"destination", "/m"}, {"type", "bind"}, {"source", "/x"}, {"options", {"rbind", "rro", "rrw"}}});
  ASSERT_THAT(cleared, IsOk());
  EXPECT_EQ(cleared->recursive_set, 0u);
  EXPECT_EQ(cleared->recursive_clear, uint64_t{MOUNT_ATTR_RDONLY});
}

TEST(FeaturesTest, ListsEveryCapabilityInNumberOrder) {
  const json caps = FeaturesDocument()["linux"]["capabilities"];
  ASSERT_EQ(caps.size(), 41u);
  for (size_t i = 0; i < caps.size(); ++i) {
    EXPECT_EQ(CapNumber(caps[i].get<std::string>()), static_cast<int>(i)) << caps[i];
  }
}

TEST(FeaturesTest, EveryListedMountOptionIsAFlagNotData) {
  const std::vector<std::string> options = FeaturesDocument()["mountOptions"];
  for (const std::string& option : options) {
    absl::StatusOr<Mount> mount = ParseOneMount(
        {{"destination", "/mnt"}, {"type", "tmpfs"}, {"source", "x"}, {"options", {option}}});
    ASSERT_THAT(mount, IsOk()) << option;
    EXPECT_EQ(mount->data, "") << option;
  }
}

TEST(FeaturesTest, EveryListedNamespaceIsAccepted) {
  const std::vector<std::string> types = FeaturesDocument()["linux"]["namespaces"];
  for (const std::string& type : types) {
    json doc = Minimal();
    if (type != "mount") doc["linux"]["namespaces"].push_back({{"type", type}});
    EXPECT_THAT(ParseStatus(doc), IsOk()) << type;
  }
}

// ---- required fields and types ----

TEST(ParseSpecTest, MinimalDocumentParses) {
  absl::StatusOr<Spec> spec = ParseSpec(Minimal(), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->raw, Minimal());
  EXPECT_FALSE(spec->process.terminal);
  EXPECT_EQ(spec->process.user.uid, 0u);
  EXPECT_FALSE(spec->process.user.umask.has_value());
  EXPECT_FALSE(spec->process.oom_score_adj.has_value());
}

TEST(ParseSpecTest, MissingRequiredFieldsAreNamed) {
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/ociVersion")),
              InvalidIs("config.json: ociVersion: required field missing"));
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/process")),
              InvalidIs("config.json: process: required field missing"));
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/root")),
              InvalidIs("config.json: root: required field missing"));
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/root/path")),
              InvalidIs("config.json: root.path: required field missing"));
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/process/cwd")),
              InvalidIs("config.json: process.cwd: required field missing"));
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/process/args")),
              InvalidIs("config.json: process.args: required field missing"));
}

TEST(ParseSpecTest, NullIsTheSameAsAbsent) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/cwd", nullptr)),
              InvalidIs("config.json: process.cwd: required field missing"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/hooks", nullptr)), IsOk());
}

TEST(ParseSpecTest, EmptyArgsAreRejected) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/args", json::array())),
              InvalidIs("config.json: process.args: must not be empty"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/args", {""})),
              InvalidIs("config.json: process.args[0]: must not be empty"));
}

TEST(ParseSpecTest, WrongTypesNameTheFieldAndBothTypes) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/user/uid", "0")),
              InvalidIs("config.json: process.user.uid: expected a number, got string"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/terminal", "yes")),
              InvalidIs("config.json: process.terminal: expected a boolean, got string"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/args", "sh")),
              InvalidIs("config.json: process.args: expected an array, got string"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/args/1", 3)),
              InvalidIs("config.json: process.args[1]: expected a string, got number"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux", json::array())),
              InvalidIs("config.json: linux: expected an object, got array"));
  EXPECT_THAT(ParseStatus(json::array()), InvalidIs("config.json: expected an object, got array"));
}

TEST(ParseSpecTest, IntegersAreRangeChecked) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/user/uid", -1)),
              InvalidIs("config.json: process.user.uid: must be between 0 and 4294967295, got -1"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/user/gid", 4294967296)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("process.user.gid")));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/user/uid", 1.5)),
              InvalidIs("config.json: process.user.uid: expected an integer, got 1.5"));
  EXPECT_THAT(
      ParseStatus(With(Minimal(), "/process/oomScoreAdj", 1001)),
      InvalidIs("config.json: process.oomScoreAdj: must be between -1000 and 1000, got 1001"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/user/umask", 01000)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("process.user.umask")));
}

TEST(ParseSpecTest, UserFieldsAreRead) {
  json doc = With(Minimal(), "/process/user",
                  {{"uid", 1000}, {"gid", 100}, {"umask", 022}, {"additionalGids", {5, 6}}});
  doc = With(doc, "/process/oomScoreAdj", -500);
  absl::StatusOr<Spec> spec = ParseSpec(doc, kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->process.user.uid, 1000u);
  EXPECT_EQ(spec->process.user.gid, 100u);
  EXPECT_THAT(spec->process.user.umask, Optional(022u));
  EXPECT_THAT(spec->process.user.additional_gids, ElementsAre(5u, 6u));
  EXPECT_THAT(spec->process.oom_score_adj, Optional(-500));
}

TEST(ParseSpecTest, UnknownKeysAreIgnored) {
  json doc = With(Minimal(), "/vendorThing", {{"x", 1}});
  doc = With(doc, "/process/futureField", "value");
  doc = With(doc, "/linux/namespaces/0/flavour", "strawberry");
  EXPECT_THAT(ParseStatus(doc), IsOk());
}

TEST(ParseSpecTest, CwdMustBeAbsolute) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/cwd", "home")),
              InvalidIs("config.json: process.cwd: must be an absolute path, got \"home\""));
}

TEST(ParseSpecTest, EnvEntriesNeedANameAndEquals) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/env", {"A=1", "B"})),
              InvalidIs("config.json: process.env[1]: invalid environment variable: missing '='"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/env", {"=1"})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("process.env[0]")));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/process/env", {"A=", "B=x=y"})), IsOk());
}

TEST(ParseSpecTest, RootPathResolvesAgainstTheBundle) {
  auto root_of = [](const char* path) {
    return ParseSpec(With(Minimal(), "/root/path", path), kBundle)->root_path;
  };
  EXPECT_EQ(root_of("rootfs"), "/bundle/rootfs");
  EXPECT_EQ(root_of("./a//b/"), "/bundle/a/b");
  EXPECT_EQ(root_of("../other"), "/other");
  EXPECT_EQ(root_of("/srv/root/"), "/srv/root");
}

TEST(ParseSpecTest, AnnotationsAreAStringMap) {
  absl::StatusOr<Spec> spec =
      ParseSpec(With(Minimal(), "/annotations", {{"a", "1"}, {"b.c", "x"}}), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->annotations.at("b.c"), "x");
  EXPECT_THAT(ParseStatus(With(Minimal(), "/annotations", {{"a", 1}})),
              InvalidIs("config.json: annotations[\"a\"]: expected a string, got number"));
}

// ---- not supported yet ----

struct UnsupportedCase {
  std::string pointer;  // where to set it
  json value;
  std::string path;  // the field the error names
};

void PrintTo(const UnsupportedCase& c, std::ostream* os) { *os << c.pointer << "=" << c.value; }

class UnsupportedTest : public ::testing::TestWithParam<UnsupportedCase> {};

TEST_P(UnsupportedTest, IsRejectedNamingTheField) {
  const UnsupportedCase& c = GetParam();
  EXPECT_THAT(ParseStatus(With(Minimal(), c.pointer, c.value)), NotSupportedAt(c.path));
}

INSTANTIATE_TEST_SUITE_P(
    Fields, UnsupportedTest,
    ::testing::Values(
        UnsupportedCase{
            "/linux/resources/rdma", {{"mlx", {{"hcaHandles", 1}}}}, "linux.resources.rdma"},
        UnsupportedCase{"/linux/intelRdt", {{"closID", "x"}}, "linux.intelRdt"},
        UnsupportedCase{"/linux/personality", {{"domain", "LINUX32"}}, "linux.personality"},
        UnsupportedCase{"/linux/timeOffsets", {{"monotonic", {{"secs", 1}}}}, "linux.timeOffsets"},
        UnsupportedCase{"/process/apparmorProfile", "docker-default", "process.apparmorProfile"},
        UnsupportedCase{"/process/selinuxLabel", "system_u:system_r:x", "process.selinuxLabel"},
        UnsupportedCase{
            "/process/ioPriority", {{"class", "IOPRIO_CLASS_IDLE"}}, "process.ioPriority"},
        UnsupportedCase{"/process/scheduler", {{"policy", "SCHED_FIFO"}}, "process.scheduler"},
        UnsupportedCase{"/linux/namespaces/1", {{"type", "time"}}, "linux.namespaces[1].type"},
        UnsupportedCase{"/mounts",
                        {{{"destination", "/m"}, {"type", "bind"}, {"source", "/x"}, {"options", {"rbind", "idmap"}}}},
                        "mounts[0].options[1]"},
        UnsupportedCase{"/mounts",
                        {{{"destination", "/m"},
                          {"source", "/x"},
                          {"type", "bind"},
                          {"uidMappings", {{{"containerID", 0}, {"hostID", 1}, {"size", 1}}}}}},
                        "mounts[0].uidMappings"}));

TEST(ParseSpecTest, HooksAreParsedAndCheckedByField) {
  json doc = With(Minimal(), "/hooks",
                  {{"createRuntime", {{{"path", "/bin/true"}, {"args", {"true", "x"}}, {"timeout", 5}}}},
                   {"poststop", {{{"path", "/bin/false"}}}}});
  absl::StatusOr<Spec> spec = ParseSpec(doc, "/bundle");
  ASSERT_THAT(spec, IsOk());
  ASSERT_EQ(spec->hooks.create_runtime.size(), 1u);
  EXPECT_EQ(spec->hooks.create_runtime[0].args, (std::vector<std::string>{"true", "x"}));
  EXPECT_EQ(spec->hooks.create_runtime[0].timeout_seconds, 5);
  ASSERT_EQ(spec->hooks.poststop.size(), 1u);
  EXPECT_EQ(spec->hooks.poststop[0].args, std::vector<std::string>{"/bin/false"});  // args default to the path
  EXPECT_THAT(ParseSpec(With(Minimal(), "/hooks", {{"prestart", {{{"path", "relative"}}}}}), "/bundle"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hooks.prestart[0].path")));
  EXPECT_THAT(ParseSpec(With(Minimal(), "/hooks", {{"poststart", {{{"path", "/x"}, {"timeout", 0}}}}}), "/bundle"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hooks.poststart[0].timeout")));
}

TEST(ParseSpecTest, ZeroValuesOfUnsupportedFieldsAreAccepted) {
  json doc = With(Minimal(), "/hooks", {{"prestart", json::array()}});
  doc = With(doc, "/linux/resources", {{"memory", json::object()}, {"cpu", {{"shares", 0}}}});
  doc = With(doc, "/linux/uidMappings", json::array());
  doc = With(doc, "/linux/seccomp", nullptr);
  doc = With(doc, "/process/apparmorProfile", "");
  EXPECT_THAT(ParseStatus(doc), IsOk());
}

// ---- mounts ----

TEST(MountTest, OptionsBecomeFlagsPropagationAndData) {
  absl::StatusOr<Mount> mount = ParseOneMount(
      {{"destination", "/dev"},
       {"type", "tmpfs"},
       {"source", "tmpfs"},
       {"options", {"nosuid", "strictatime", "mode=755", "rprivate", "nodev", "size=65536k"}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_FALSE(mount->is_bind());
  EXPECT_EQ(mount->type, "tmpfs");
  EXPECT_EQ(mount->source, "tmpfs");  // not a path: left alone
  EXPECT_EQ(mount->flags, static_cast<unsigned long>(MS_NOSUID | MS_STRICTATIME | MS_NODEV));
  EXPECT_EQ(mount->clear_flags, 0u);
  EXPECT_EQ(mount->propagation, static_cast<unsigned long>(MS_PRIVATE | MS_REC));
  EXPECT_EQ(mount->data, "mode=755,size=65536k");
  EXPECT_EQ(mount->options.size(), 6u);
}

TEST(MountTest, LaterOptionsWin) {
  absl::StatusOr<Mount> mount =
      ParseOneMount({{"destination", "/m"}, {"type", "tmpfs"}, {"options", {"ro", "rw", "dev"}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_EQ(mount->flags & MS_RDONLY, 0u);
  EXPECT_EQ(mount->clear_flags, static_cast<unsigned long>(MS_RDONLY | MS_NODEV));
  mount = ParseOneMount(
      {{"destination", "/m"}, {"type", "tmpfs"}, {"options", {"rw", "ro", "shared", "slave"}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_EQ(mount->flags, static_cast<unsigned long>(MS_RDONLY));
  EXPECT_EQ(mount->clear_flags, 0u);
  EXPECT_EQ(mount->propagation, static_cast<unsigned long>(MS_SLAVE));
}

struct FlagCase {
  std::string option;
  unsigned long flags;
  unsigned long clear_flags;
};

void PrintTo(const FlagCase& c, std::ostream* os) { *os << c.option; }

class MountFlagTest : public ::testing::TestWithParam<FlagCase> {};

TEST_P(MountFlagTest, MapsLikeRunc) {
  absl::StatusOr<Mount> mount =
      ParseOneMount({{"destination", "/m"}, {"type", "tmpfs"}, {"options", {GetParam().option}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_EQ(mount->flags, GetParam().flags);
  EXPECT_EQ(mount->clear_flags, GetParam().clear_flags);
}

INSTANTIATE_TEST_SUITE_P(
    Options, MountFlagTest,
    ::testing::Values(FlagCase{"ro", MS_RDONLY, 0}, FlagCase{"rw", 0, MS_RDONLY},
                      FlagCase{"nosuid", MS_NOSUID, 0}, FlagCase{"suid", 0, MS_NOSUID},
                      FlagCase{"nodev", MS_NODEV, 0}, FlagCase{"dev", 0, MS_NODEV},
                      FlagCase{"noexec", MS_NOEXEC, 0}, FlagCase{"exec", 0, MS_NOEXEC},
                      FlagCase{"sync", MS_SYNCHRONOUS, 0}, FlagCase{"async", 0, MS_SYNCHRONOUS},
                      FlagCase{"dirsync", MS_DIRSYNC, 0}, FlagCase{"remount", MS_REMOUNT, 0},
                      FlagCase{"mand", MS_MANDLOCK, 0}, FlagCase{"nomand", 0, MS_MANDLOCK},
                      FlagCase{"noatime", MS_NOATIME, 0}, FlagCase{"atime", 0, MS_NOATIME},
                      FlagCase{"nodiratime", MS_NODIRATIME, 0},
                      FlagCase{"diratime", 0, MS_NODIRATIME}, FlagCase{"relatime", MS_RELATIME, 0},
                      FlagCase{"norelatime", 0, MS_RELATIME},
                      FlagCase{"strictatime", MS_STRICTATIME, 0},
                      FlagCase{"nostrictatime", 0, MS_STRICTATIME}, FlagCase{"defaults", 0, 0}),
    [](const ::testing::TestParamInfo<FlagCase>& info) { return info.param.option; });

TEST(MountTest, PropagationOptions) {
  const std::pair<const char*, unsigned long> cases[] = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC}};
  for (const auto& [option, propagation] : cases) {
    absl::StatusOr<Mount> mount =
        ParseOneMount({{"destination", "/m"}, {"type", "tmpfs"}, {"options", {option}}});
    ASSERT_THAT(mount, IsOk()) << option;
    EXPECT_EQ(mount->propagation, propagation) << option;
    EXPECT_EQ(mount->flags, 0u) << option;
  }
}

TEST(MountTest, BindOptionsMakeABindMountWithAResolvedSource) {
  absl::StatusOr<Mount> mount = ParseOneMount({{"destination", "/data"},
                                               {"type", "none"},
                                               {"source", "data/"},
                                               {"options", {"rbind", "ro"}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_TRUE(mount->is_bind());
  EXPECT_EQ(mount->type, "bind");
  EXPECT_EQ(mount->source, "/bundle/data");
  EXPECT_EQ(mount->flags, static_cast<unsigned long>(MS_BIND | MS_REC | MS_RDONLY));
  mount = ParseOneMount({{"destination", "/data"}, {"source", "/srv//x/"}, {"options", {"bind"}}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_EQ(mount->source, "/srv/x");
  EXPECT_EQ(mount->flags, static_cast<unsigned long>(MS_BIND));
}

TEST(MountTest, TypeBindAloneIsABind) {
  absl::StatusOr<Mount> mount =
      ParseOneMount({{"destination", "/d"}, {"type", "bind"}, {"source", "x"}});
  ASSERT_THAT(mount, IsOk());
  EXPECT_TRUE(mount->is_bind());
  EXPECT_EQ(mount->flags, static_cast<unsigned long>(MS_BIND));
  EXPECT_EQ(mount->source, "/bundle/x");
}

TEST(MountTest, DestinationIsMadeAbsoluteAndClean) {
  auto destination_of = [](const char* destination) {
    return ParseOneMount({{"destination", destination}, {"type", "tmpfs"}})->destination;
  };
  EXPECT_EQ(destination_of("tmp"), "/tmp");
  EXPECT_EQ(destination_of("/a/./b//"), "/a/b");
  EXPECT_EQ(destination_of("/a/../../etc"), "/etc");
}

TEST(MountTest, MissingFieldsAreNamed) {
  EXPECT_THAT(ParseOneMount({{"type", "tmpfs"}}).status(),
              InvalidIs("config.json: mounts[0].destination: required field missing"));
  EXPECT_THAT(ParseOneMount({{"destination", "/d"}, {"options", {"bind"}}}).status(),
              InvalidIs("config.json: mounts[0].source: required for a bind mount"));
  EXPECT_THAT(
      ParseOneMount({{"destination", "/d"}, {"source", "x"}}).status(),
      InvalidIs("config.json: mounts[0].type: required for a mount that is not a bind mount"));
  EXPECT_THAT(ParseOneMount({{"destination", "/d"}, {"options", {"remount", "ro"}}}), IsOk());
  EXPECT_THAT(ParseStatus(With(Minimal(), "/mounts", {{{"destination", "/d"}, {"type", 7}}})),
              InvalidIs("config.json: mounts[0].type: expected a string, got number"));
}

// ---- namespaces ----

TEST(NamespaceTest, TypesMapToCloneFlags) {
  json doc = With(Minimal(), "/linux/namespaces",
                  {{{"type", "pid"}},
                   {{"type", "network"}, {"path", "/var/run/netns/x"}},
                   {{"type", "mount"}},
                   {{"type", "ipc"}},
                   {{"type", "uts"}},
                   {{"type", "cgroup"}}});
  absl::StatusOr<Spec> spec = ParseSpec(doc, kBundle);
  ASSERT_THAT(spec, IsOk());
  const Linux& linux = spec->linux;
  EXPECT_EQ(linux.FindNamespace("pid")->clone_flag, CLONE_NEWPID);
  EXPECT_EQ(linux.FindNamespace("network")->clone_flag, CLONE_NEWNET);
  EXPECT_EQ(linux.FindNamespace("network")->path, "/var/run/netns/x");
  EXPECT_EQ(linux.FindNamespace("mount")->clone_flag, CLONE_NEWNS);
  EXPECT_EQ(linux.FindNamespace("ipc")->clone_flag, CLONE_NEWIPC);
  EXPECT_EQ(linux.FindNamespace("uts")->clone_flag, CLONE_NEWUTS);
  EXPECT_EQ(linux.FindNamespace("cgroup")->clone_flag, CLONE_NEWCGROUP);
  EXPECT_EQ(linux.FindNamespace("user"), nullptr);
  EXPECT_TRUE(linux.HasNamespace("cgroup"));
  EXPECT_FALSE(linux.HasNamespace("time"));
}

TEST(NamespaceTest, BadEntriesAreNamed) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/namespaces/1", {{"type", "foo"}})),
              InvalidIs("config.json: linux.namespaces[1].type: unknown namespace type \"foo\""));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/namespaces/1", {{"type", "mount"}})),
              InvalidIs("config.json: linux.namespaces[1].type: duplicate namespace \"mount\""));
  EXPECT_THAT(
      ParseStatus(With(Minimal(), "/linux/namespaces/1", {{"type", "pid"}, {"path", "proc/1/ns"}})),
      InvalidIs(
          "config.json: linux.namespaces[1].path: must be an absolute path, got \"proc/1/ns\""));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/namespaces/1", {{"path", "/x"}})),
              InvalidIs("config.json: linux.namespaces[1].type: required field missing"));
}

// OCI: a namespace type left out is inherited (the sandbox still makes a
// mount namespace of its own: README).
TEST(NamespaceTest, NamespacesLeftOutAreInherited) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/namespaces", {{{"type", "pid"}}})), IsOk());
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/namespaces", nlohmann::json::array())), IsOk());
  EXPECT_THAT(ParseStatus(Without(Minimal(), "/linux")), IsOk());
}

TEST(LinuxTest, MountLabelIsIgnoredWithoutSelinuxAndRefusedWithIt) {
  absl::Status status = ParseStatus(With(Minimal(), "/linux/mountLabel", "system_u:object_r:x"));
  if (access("/sys/fs/selinux/enforce", F_OK) != 0) {
    EXPECT_THAT(status, IsOk());
  } else {
    EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnimplemented, ::testing::HasSubstr("linux.mountLabel")));
  }
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/mountLabel", 3)),
              InvalidIs("config.json: linux.mountLabel: expected a string, got number"));
}

TEST(NamespaceTest, HostnameAndDomainnameNeedUts) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/hostname", "box")),
              InvalidIs("config.json: hostname: setting the hostname needs a uts namespace"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/domainname", "example.org")),
              InvalidIs("config.json: domainname: setting the domainname needs a uts namespace"));
  json doc = With(Minimal(), "/hostname", "box");
  doc = With(doc, "/domainname", "example.org");
  doc["linux"]["namespaces"].push_back({{"type", "uts"}});
  absl::StatusOr<Spec> spec = ParseSpec(doc, kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->hostname, "box");
  EXPECT_EQ(spec->domainname, "example.org");
}

// ---- process: capabilities, rlimits ----

TEST(CapabilityTest, NamesBecomeNumbers) {
  json doc = With(Minimal(), "/process/capabilities",
                  {{"bounding", {"CAP_SYS_ADMIN", "cap_kill"}},
                   {"effective", {"CAP_CHOWN"}},
                   {"inheritable", json::array()},
                   {"permitted", {"CAP_SETUID"}},
                   {"ambient", {"CAP_NET_RAW"}}});
  absl::StatusOr<Spec> spec = ParseSpec(doc, kBundle);
  ASSERT_THAT(spec, IsOk());
  const Capabilities& caps = spec->process.capabilities;
  EXPECT_THAT(caps.bounding, ElementsAre(CAP_SYS_ADMIN, CAP_KILL));
  EXPECT_THAT(caps.effective, ElementsAre(CAP_CHOWN));
  EXPECT_THAT(caps.permitted, ElementsAre(CAP_SETUID));
  EXPECT_THAT(caps.ambient, ElementsAre(CAP_NET_RAW));
}

TEST(CapabilityTest, UnknownNameIsNamedWithItsSet) {
  EXPECT_THAT(
      ParseStatus(
          With(Minimal(), "/process/capabilities", {{"effective", {"CAP_KILL", "CAP_FOO"}}})),
      InvalidIs("config.json: process.capabilities.effective[1]: unknown capability \"CAP_FOO\""));
}

TEST(CapabilityTest, CapabilityFromName) {
  EXPECT_EQ(CapNumber("CAP_SYS_ADMIN"), CAP_SYS_ADMIN);
  EXPECT_EQ(CapNumber("cap_sys_admin"), CAP_SYS_ADMIN);
  EXPECT_EQ(CapNumber("Sys_Admin"), CAP_SYS_ADMIN);
  EXPECT_EQ(CapNumber("CAP_CHECKPOINT_RESTORE"), 40);
  for (const char* bad : {"CAP_NOPE", "", "12", "cap_kill,cap_chown", "CAP_KILL "}) {
    EXPECT_THAT(platform::CapabilityFromName(bad),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         std::string("unknown capability \"") + bad + "\""));
  }
}

TEST(RlimitTest, IsParsed) {
  absl::StatusOr<Spec> spec =
      ParseSpec(With(Minimal(), "/process/rlimits",
                     {{{"type", "RLIMIT_CORE"}, {"soft", 0}, {"hard", 18446744073709551615ull}}}),
                kBundle);
  ASSERT_THAT(spec, IsOk());
  ASSERT_EQ(spec->process.rlimits.size(), 1u);
  EXPECT_EQ(spec->process.rlimits[0].type, "RLIMIT_CORE");
  EXPECT_EQ(spec->process.rlimits[0].resource, RLIMIT_CORE);
  EXPECT_EQ(spec->process.rlimits[0].hard, RLIM_INFINITY);
}

TEST(RlimitTest, BadEntriesAreNamed) {
  auto status_of = [](json rlimits) {
    return ParseStatus(With(Minimal(), "/process/rlimits", std::move(rlimits)));
  };
  EXPECT_THAT(status_of({{{"type", "RLIMIT_FOO"}, {"soft", 1}, {"hard", 1}}}),
              InvalidIs("config.json: process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""));
  EXPECT_THAT(
      status_of({{{"type", "RLIMIT_NOFILE"}, {"soft", 2048}, {"hard", 1024}}}),
      InvalidIs("config.json: process.rlimits[0]: soft limit 2048 is above hard limit 1024"));
  EXPECT_THAT(status_of({{{"type", "RLIMIT_NOFILE"}, {"soft", 1}}}),
              InvalidIs("config.json: process.rlimits[0].hard: required field missing"));
  EXPECT_THAT(status_of({{{"type", "RLIMIT_NPROC"}, {"soft", 1}, {"hard", 1}},
                         {{"type", "RLIMIT_NPROC"}, {"soft", 2}, {"hard", 2}}}),
              InvalidIs("config.json: process.rlimits[1].type: duplicate rlimit \"RLIMIT_NPROC\""));
}

// ---- devices ----

TEST(DeviceTest, EntriesAreParsed) {
  absl::StatusOr<Spec> spec = ParseSpec(With(Minimal(), "/linux/devices",
                                             {{{"path", "/dev/fuse"},
                                               {"type", "c"},
                                               {"major", 10},
                                               {"minor", 229},
                                               {"fileMode", 0666},
                                               {"uid", 0},
                                               {"gid", 0}},
                                              {{"path", "/dev/fifo"}, {"type", "p"}}}),
                                        kBundle);
  ASSERT_THAT(spec, IsOk());
  ASSERT_EQ(spec->linux.devices.size(), 2u);
  const Device& fuse = spec->linux.devices[0];
  EXPECT_EQ(fuse.type, 'c');
  EXPECT_EQ(fuse.major, 10);
  EXPECT_EQ(fuse.minor, 229);
  EXPECT_THAT(fuse.file_mode, Optional(0666u));
  EXPECT_THAT(fuse.uid, Optional(0u));
  EXPECT_EQ(spec->linux.devices[1].type, 'p');
  EXPECT_FALSE(spec->linux.devices[1].file_mode.has_value());
}

// podman's --device and --privileged send the file type in fileMode (issue 18).
TEST(DeviceTest, FileModeMayCarryTheDevicesOwnType) {
  auto parse = [](const char* type, uint32_t mode) {
    return ParseSpec(With(Minimal(), "/linux/devices",
                          {{{"path", "/dev/x"}, {"type", type}, {"major", 1}, {"minor", 3}, {"fileMode", mode}}}),
                     kBundle);
  };
  absl::StatusOr<Spec> spec = parse("c", 020666);
  ASSERT_THAT(spec, IsOk());
  EXPECT_THAT(spec->linux.devices[0].file_mode, Optional(0666u));
  EXPECT_THAT(parse("b", 060640), IsOk());
  EXPECT_THAT(parse("u", 020600), IsOk());
  EXPECT_THAT(parse("b", 020666).status(),
              InvalidIs("config.json: linux.devices[0].fileMode: file type bits 020000 are not those of a type \"b\" device"));
  EXPECT_THAT(parse("c", 01000000).status(), InvalidIs("config.json: linux.devices[0].fileMode: not a file mode: 01000000"));
}

TEST(MountTest, TmpcopyupIsForTmpfsOnly) {
  auto parse = [](const char* type) {
    return ParseSpec(With(Minimal(), "/mounts",
                          {{{"destination", "/etc"}, {"type", type}, {"source", "x"}, {"options", {"tmpcopyup"}}}}),
                     kBundle);
  };
  absl::StatusOr<Spec> spec = parse("tmpfs");
  ASSERT_THAT(spec, IsOk());
  EXPECT_TRUE(spec->mounts[0].copy_up);
  EXPECT_THAT(parse("proc").status(),
              InvalidIs("config.json: mounts[0].options: \"tmpcopyup\" is only for tmpfs mounts, not \"proc\""));
}

TEST(DeviceTest, BadEntriesAreNamed) {
  auto status_of = [](json device) {
    return ParseStatus(With(Minimal(), "/linux/devices", {std::move(device)}));
  };
  EXPECT_THAT(status_of({{"path", "/dev/x"}, {"type", "x"}, {"major", 1}, {"minor", 1}}),
              InvalidIs("config.json: linux.devices[0].type: unknown device type \"x\""));
  EXPECT_THAT(status_of({{"path", "/dev/x"}, {"major", 1}, {"minor", 1}}),
              InvalidIs("config.json: linux.devices[0].type: required field missing"));
  EXPECT_THAT(
      status_of({{"path", "dev/x"}, {"type", "c"}, {"major", 1}, {"minor", 1}}),
      InvalidIs("config.json: linux.devices[0].path: must be an absolute path, got \"dev/x\""));
  EXPECT_THAT(status_of({{"path", "/dev/x"}, {"type", "b"}, {"minor", 1}}),
              InvalidIs("config.json: linux.devices[0].major: required field missing"));
  EXPECT_THAT(status_of({{"path", "/dev/x"}, {"type", "u"}, {"major", 1}}),
              InvalidIs("config.json: linux.devices[0].minor: required field missing"));
}

TEST(DeviceRuleTest, RulesAreParsed) {
  absl::StatusOr<Spec> spec = ParseSpec(
      With(Minimal(), "/linux/resources/devices",
           {{{"allow", false}, {"access", "rwm"}},
            {{"allow", true}, {"type", "c"}, {"major", 1}, {"minor", -1}, {"access", "rw"}},
            {{"allow", true}, {"type", "b"}, {"major", 8}}}),
      kBundle);
  ASSERT_THAT(spec, IsOk());
  const std::vector<DeviceRule>& rules = spec->linux.device_rules;
  ASSERT_EQ(rules.size(), 3u);
  EXPECT_EQ(rules[0].type, 'a');
  EXPECT_FALSE(rules[0].major.has_value());
  EXPECT_TRUE(rules[1].allow);
  EXPECT_EQ(rules[1].type, 'c');
  EXPECT_THAT(rules[1].major, Optional(1));
  EXPECT_FALSE(rules[1].minor.has_value());
  EXPECT_EQ(rules[1].access, "rw");
  EXPECT_EQ(rules[2].access, "rwm");  // absent: everything
}

TEST(DeviceRuleTest, BadRulesAreNamed) {
  auto status_of = [](json rule) {
    return ParseStatus(With(Minimal(), "/linux/resources/devices", {std::move(rule)}));
  };
  EXPECT_THAT(status_of({{"allow", true}, {"access", "rwx"}}),
              InvalidIs("config.json: linux.resources.devices[0].access: must be made of r, w "
                        "and m, got \"rwx\""));
  EXPECT_THAT(status_of({{"allow", true}, {"type", "p"}}),
              InvalidIs("config.json: linux.resources.devices[0].type: unknown device type \"p\""));
  EXPECT_THAT(status_of({{"allow", "yes"}}),
              InvalidIs("config.json: linux.resources.devices[0].allow: expected a boolean, got "
                        "string"));
}

// ---- sysctl, paths ----

struct SysctlCase {
  std::string key;
  std::string namespace_type;  // added besides mount; "" for none
  std::string error;           // "" when accepted
};

void PrintTo(const SysctlCase& c, std::ostream* os) {
  *os << c.key << " with " << c.namespace_type;
}

class SysctlTest : public ::testing::TestWithParam<SysctlCase> {};

TEST_P(SysctlTest, IsCheckedAgainstNamespaces) {
  const SysctlCase& c = GetParam();
  json doc = With(Minimal(), "/linux/sysctl", {{c.key, "1"}});
  if (!c.namespace_type.empty()) doc["linux"]["namespaces"].push_back({{"type", c.namespace_type}});
  if (c.error.empty()) {
    EXPECT_THAT(ParseStatus(doc), IsOk());
  } else {
    EXPECT_THAT(ParseStatus(doc),
                InvalidIs("config.json: linux.sysctl[\"" + c.key + "\"]: " + c.error));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Keys, SysctlTest,
    ::testing::Values(
        SysctlCase{"kernel.shmmax", "ipc", ""}, SysctlCase{"kernel.sem", "ipc", ""},
        SysctlCase{"fs.mqueue.msg_max", "ipc", ""},
        SysctlCase{"kernel.msgmax", "", "sysctl \"kernel.msgmax\" needs an ipc namespace"},
        SysctlCase{"net.ipv4.ip_forward", "network", ""},
        SysctlCase{"net.ipv4.ip_forward", "ipc",
                   "sysctl \"net.ipv4.ip_forward\" needs a network namespace"},
        SysctlCase{"kernel.domainname", "uts", ""}, SysctlCase{"kernel.hostname", "uts", ""},
        SysctlCase{"kernel.hostname", "", "sysctl \"kernel.hostname\" needs a uts namespace"},
        SysctlCase{"vm.swappiness", "ipc",
                   "sysctl \"vm.swappiness\" is not in a separate kernel namespace"},
        SysctlCase{"kernel.pid_max", "uts",
                   "sysctl \"kernel.pid_max\" is not in a separate kernel namespace"},
        SysctlCase{"net..x", "network", "invalid sysctl name \"net..x\""},
        SysctlCase{"net.ipv4/../../x", "network", "invalid sysctl name \"net.ipv4/../../x\""}));

TEST(ParseSpecTest, SysctlValuesMustBeStrings) {
  json doc = With(Minimal(), "/linux/sysctl", {{"net.ipv4.ip_forward", 1}});
  EXPECT_THAT(ParseStatus(doc),
              InvalidIs("config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: expected a string, "
                        "got number"));
}

TEST(ParseSpecTest, MaskedAndReadonlyPathsMustBeAbsolute) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/maskedPaths", {"/proc/kcore", "proc/keys"})),
              InvalidIs("config.json: linux.maskedPaths[1]: must be an absolute path, got "
                        "\"proc/keys\""));
  EXPECT_THAT(
      ParseStatus(With(Minimal(), "/linux/readonlyPaths", {"sys"})),
      InvalidIs("config.json: linux.readonlyPaths[0]: must be an absolute path, got \"sys\""));
}

TEST(ParseSpecTest, RootfsPropagationIsChecked) {
  EXPECT_THAT(ParseSpec(With(Minimal(), "/linux/rootfsPropagation", "rslave"), kBundle)
                  ->linux.rootfs_propagation,
              "rslave");
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/rootfsPropagation", "sideways")),
              InvalidIs("config.json: linux.rootfsPropagation: unknown propagation \"sideways\""));
}

// ---- LoadSpec ----

class LoadSpecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/spec_test.XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    bundle_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(bundle_); }
  void WriteConfig(const std::string& text) { std::ofstream(bundle_ + "/config.json") << text; }
  std::string bundle_;
};

TEST_F(LoadSpecTest, LoadsAndResolvesAgainstTheBundle) {
  WriteConfig(Minimal().dump(2));
  absl::StatusOr<Spec> spec = LoadSpec(bundle_ + "/");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->root_path, bundle_ + "/rootfs");
  EXPECT_EQ(spec->raw, Minimal());
}

TEST_F(LoadSpecTest, MissingBundleIsNamed) {
  EXPECT_THAT(
      LoadSpec(bundle_ + "/nope"),
      StatusIs(absl::StatusCode::kNotFound, "bundle \"" + bundle_ + "/nope\": no such directory"));
  WriteConfig("{}");
  EXPECT_THAT(LoadSpec(bundle_ + "/config.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not a directory")));
}

TEST_F(LoadSpecTest, MissingConfigNamesThePath) {
  EXPECT_THAT(LoadSpec(bundle_),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("\"" + bundle_ + "/config.json\"")));
}

TEST_F(LoadSpecTest, SyntaxErrorHasLineAndColumn) {
  WriteConfig("{\n  \"ociVersion\": \"1.0.2\",\n  oops\n}\n");
  EXPECT_THAT(LoadSpec(bundle_),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::StartsWith("config.json: syntax error at line 3 column 3: ")));
  WriteConfig("{\n  \"a\": [1,\n");
  EXPECT_THAT(
      LoadSpec(bundle_),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(::testing::StartsWith("config.json: syntax error at line 3"),
                                HasSubstr("unexpected end of input"))));
}

TEST_F(LoadSpecTest, ValidationErrorsComeThrough) {
  WriteConfig(With(Minimal(), "/process/args", json::array()).dump());
  EXPECT_THAT(LoadSpec(bundle_), InvalidIs("config.json: process.args: must not be empty"));
}

// ---- linux.seccomp ----

TEST(SeccompSpecTest, ProfileIsKeptAsWritten) {
  const json profile = {{"defaultAction", "SCMP_ACT_ERRNO"},
                        {"architectures", {"SCMP_ARCH_X86_64"}},
                        {"syscalls", {{{"names", {"read", "no_such_call"}}, {"action", "SCMP_ACT_ALLOW"}}}}};
  absl::StatusOr<Spec> spec = ParseSpec(With(Minimal(), "/linux/seccomp", profile), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->linux.seccomp, profile);
  spec = ParseSpec(Minimal(), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_TRUE(spec->linux.seccomp.is_null());
}

TEST(SeccompSpecTest, ErrorsNameTheFieldInConfigJson) {
  const json rules = {{{"names", {"read"}}, {"action", "SCMP_ACT_ALLOW"}},
                      {{"names", {"write"}}, {"action", "SCMP_ACT_ALLOW"}},
                      {{"names", {"open"}}, {"action", "SCMP_ACT_ALLOW"}},
                      {{"names", {"close"}}, {"action", "X"}}};
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/seccomp",
                               {{"defaultAction", "SCMP_ACT_ERRNO"}, {"syscalls", rules}})),
              InvalidIs("config.json: linux.seccomp.syscalls[3].action: unknown action \"X\""));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/seccomp",
                               {{"defaultAction", "SCMP_ACT_ALLOW"}, {"architectures", {"SCMP_ARCH_Z80"}}})),
              InvalidIs("config.json: linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\""));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/seccomp", "SCMP_ACT_ALLOW")),
              InvalidIs("config.json: linux.seccomp: expected an object, got string"));
}

// ---- linux.resources ----

TEST(ParseResourcesTest, ReadsEveryField) {
  json doc = With(Minimal(), "/linux/resources", json::parse(R"({
    "memory": {"limit": 1048576, "reservation": 524288, "swap": 2097152, "kernel": 1, "kernelTCP": 2,
               "swappiness": 10, "disableOOMKiller": true},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000, "realtimeRuntime": 3, "realtimePeriod": 4,
            "cpus": "0-1", "mems": "0", "idle": 1},
    "pids": {"limit": 32},
    "blockIO": {"weight": 100, "leafWeight": 200, "weightDevice": [{"major": 8, "minor": 0, "weight": 10}],
                "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1000}],
                "throttleWriteIOPSDevice": [{"major": 8, "minor": 16, "rate": 30}]},
    "hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
    "network": {"classID": 7, "priorities": [{"name": "eth0", "priority": 3}]},
    "unified": {"memory.high": "900"}
  })"));
  absl::StatusOr<Spec> spec = ParseSpec(doc, kBundle);
  ASSERT_THAT(spec, IsOk());
  const platform::CgroupResources& r = spec->linux.resources;
  EXPECT_THAT(r.memory_limit, Optional(1048576));
  EXPECT_THAT(r.memory_swap, Optional(2097152));
  EXPECT_THAT(r.memory_swappiness, Optional(10u));
  EXPECT_THAT(r.disable_oom_killer, Optional(true));
  EXPECT_THAT(r.cpu_shares, Optional(512u));
  EXPECT_THAT(r.cpu_quota, Optional(50000));
  EXPECT_THAT(r.cpus, Optional(std::string("0-1")));
  EXPECT_THAT(r.pids_limit, Optional(32));
  EXPECT_THAT(r.blkio_weight, Optional(100));
  ASSERT_EQ(r.blkio_weight_devices.size(), 1u);
  EXPECT_THAT(r.blkio_weight_devices[0].weight, Optional(10));
  ASSERT_EQ(r.throttle_write_iops.size(), 1u);
  EXPECT_EQ(r.throttle_write_iops[0].rate, 30u);
  ASSERT_EQ(r.hugepage_limits.size(), 1u);
  EXPECT_EQ(r.hugepage_limits[0].page_size, "2MB");
  EXPECT_THAT(r.net_class_id, Optional(7u));
  EXPECT_EQ(r.unified.at("memory.high"), "900");
}

TEST(ParseResourcesTest, AbsentFieldsStayUnset) {
  absl::StatusOr<Spec> spec = ParseSpec(With(Minimal(), "/linux/resources", {{"memory", {{"limit", 5}}}}), kBundle);
  ASSERT_THAT(spec, IsOk());
  EXPECT_FALSE(spec->linux.resources.memory_swap.has_value());
  EXPECT_FALSE(spec->linux.resources.cpu_shares.has_value());
  EXPECT_TRUE(ParseSpec(Minimal(), kBundle)->linux.resources.empty());
}

TEST(ParseResourcesTest, BadValuesNameTheField) {
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/resources/memory", {{"limit", "1G"}})),
              InvalidIs("config.json: linux.resources.memory.limit: expected a number, got string"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/resources/memory", {{"swappiness", 101}})),
              InvalidIs("config.json: linux.resources.memory.swappiness: must be 0..100, got 101"));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/resources/blockIO", {{"weight", 70000}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("linux.resources.blockIO.weight")));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/resources/hugepageLimits", {{{"pageSize", "../x"}, {"limit", 1}}})),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("linux.resources.hugepageLimits[0].pageSize")));
  EXPECT_THAT(ParseStatus(With(Minimal(), "/linux/resources/rdma", {{"mlx", {{"hcaHandles", 1}}}})),
              NotSupportedAt("linux.resources.rdma"));
}

TEST(ParseResourcesTest, ParseLinuxResourcesAlone) {
  absl::StatusOr<Linux> linux = ParseLinuxResources(json::parse(R"({"pids": {"limit": -1}, "cpu": {"cpus": "0"}})"));
  ASSERT_THAT(linux, IsOk());
  EXPECT_THAT(linux->resources.pids_limit, Optional(-1));
  EXPECT_THAT(ParseLinuxResources(json::parse(R"({"pids": 3})")).status(),
              InvalidIs("config.json: linux.resources.pids: expected an object, got number"));
}

}  // namespace
}  // namespace runsc
