// Integration tests of the query commands and global flags: state, list, ps, features, --log.
#include <sstream>
#include <string>

#include "fmt/format.h"
#include "tests/integration_test_base.h"

namespace runsc::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::UnorderedElementsAre;
using nlohmann::json;

class QueryTest : public IntegrationTest {};
RUNSC_INSTANTIATE_FOR_RUNTIMES(QueryTest);


TEST_P(QueryTest, StateHasRuncsFieldsAcrossTheLifecycle) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"}).Annotation("org.example.key", "value");
  std::string id = NewId();
  CreateOrDie(bundle, id);
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_THAT((*state)["ociVersion"].get<std::string>(), MatchesRegex("1\\.[0-9]+\\..*"));
  EXPECT_EQ((*state)["id"], id);
  EXPECT_GT((*state)["pid"].get<int>(), 0);
  EXPECT_EQ((*state)["status"], "created");
  EXPECT_EQ((*state)["bundle"], bundle.dir());
  EXPECT_EQ((*state)["rootfs"], bundle.rootfs());
  EXPECT_THAT((*state)["created"].get<std::string>(),
              MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z"));
  EXPECT_TRUE(state->contains("owner"));
  EXPECT_EQ((*state)["annotations"], json({{"org.example.key", "value"}}));

  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id, "running"));
  ASSERT_EQ(rt().Run({"kill", id, "KILL"}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
  state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  EXPECT_EQ((*state)["id"], id);
  EXPECT_EQ((*state)["bundle"], bundle.dir());
}

TEST_P(QueryTest, StateOfAnExitedWorkloadIsStopped) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "exit", "0"});
  std::string id = NewId();
  CreateOrDie(bundle, id);
  ASSERT_EQ(rt().Run({"start", id}).exit_code, 0);
  EXPECT_TRUE(WaitForStatus(id, "stopped"));
}

TEST_P(QueryTest, ListShowsTableQuietAndJson) {
  std::string created = NewId();
  std::string running = NewId();
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  CreateOrDie(bundle, created);
  StartSleeper(running);

  RunResult table = rt().Run({"list"});
  ASSERT_EQ(table.exit_code, 0) << table;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_EQ(lines.size(), 3u) << table;
  EXPECT_THAT(lines[0], MatchesRegex("ID +PID +STATUS +BUNDLE +CREATED +OWNER *"));
  EXPECT_THAT(table.out, MatchesRegex(fmt::format("(.|\n)*\n{} +[0-9]+ +created +{} (.|\n)*",
                                                  created, bundle.dir())));
  EXPECT_THAT(table.out, MatchesRegex(fmt::format("(.|\n)*\n{} +[0-9]+ +running (.|\n)*", running)));

  RunResult quiet = rt().Run({"list", "-q"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet;
  EXPECT_THAT(Lines(quiet.out), UnorderedElementsAre(created, running));

  RunResult as_json = rt().Run({"list", "--format", "json"});
  ASSERT_EQ(as_json.exit_code, 0) << as_json;
  json list = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(list.is_array()) << as_json;
  std::vector<std::string> ids;
  for (const json& c : list) {
    ids.push_back(c["id"]);
    EXPECT_GT(c["pid"].get<int>(), 0);
    for (const char* field : {"ociVersion", "status", "bundle", "rootfs", "created", "owner"}) {
      EXPECT_TRUE(c.contains(field)) << field << " missing in " << c;
    }
    EXPECT_EQ(c["status"], c["id"] == created ? "created" : "running");
  }
  EXPECT_THAT(ids, UnorderedElementsAre(created, running));
}

TEST_P(QueryTest, ListOfAnEmptyRootPrintsOnlyTheHeader) {
  RunResult table = rt().Run({"list"});
  ASSERT_EQ(table.exit_code, 0) << table;
  EXPECT_THAT(Lines(table.out), ::testing::ElementsAre(MatchesRegex("ID +PID +STATUS.*")));
  RunResult quiet = rt().Run({"list", "-q"});
  ASSERT_EQ(quiet.exit_code, 0) << quiet;
  EXPECT_EQ(quiet.out, "");
}

TEST_P(QueryTest, PsShowsTheInitInTableAndJson) {
  std::string id = NewId();
  StartSleeper(id);
  absl::StatusOr<json> state = State(id);
  ASSERT_TRUE(state.ok()) << state.status();
  int pid = (*state)["pid"].get<int>();

  RunResult table = rt().Run({"ps", id});
  ASSERT_EQ(table.exit_code, 0) << table;
  std::vector<std::string> lines = Lines(table.out);
  ASSERT_GE(lines.size(), 2u) << table;
  EXPECT_THAT(lines[0], MatchesRegex("UID +PID +PPID .*CMD"));
  EXPECT_THAT(table.out, MatchesRegex(fmt::format("(.|\n)*\n[a-z0-9]+ +{} .*payload sleep 1000(.|\n)*", pid)));

  RunResult as_json = rt().Run({"ps", "--format", "json", id});
  ASSERT_EQ(as_json.exit_code, 0) << as_json;
  json pids = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(pids.is_array()) << as_json;
  EXPECT_THAT(pids.get<std::vector<int>>(), UnorderedElementsAre(pid));
}

TEST_P(QueryTest, FeaturesPrintsTheOciFeaturesDocument) {
  RunResult result = rt().Run({"features"});
  ASSERT_EQ(result.exit_code, 0) << result;
  json features = json::parse(result.out, nullptr, false);
  ASSERT_FALSE(features.is_discarded()) << result;
  EXPECT_THAT(features["ociVersionMin"].get<std::string>(), MatchesRegex("1\\..*"));
  EXPECT_THAT(features["ociVersionMax"].get<std::string>(), MatchesRegex("1\\..*"));
  EXPECT_THAT(features["mountOptions"].get<std::vector<std::string>>(),
              ::testing::IsSupersetOf({"ro", "nosuid", "nodev", "noexec"}));
  EXPECT_THAT(features["linux"]["namespaces"].get<std::vector<std::string>>(),
              ::testing::IsSupersetOf({"pid", "network", "ipc", "uts", "mount", "cgroup"}));
  EXPECT_THAT(features["linux"]["capabilities"].get<std::vector<std::string>>(),
              Contains("CAP_SYS_ADMIN"));
}

TEST_P(QueryTest, VersionFlag) {
  RunResult result = rt().RunRaw({"--version"});
  EXPECT_EQ(result.exit_code, 0) << result;
  EXPECT_THAT(result.out, HasSubstr("version"));
  EXPECT_THAT(result.out, HasSubstr("spec: 1."));
}

TEST_P(QueryTest, JsonLogCarriesTheErrorLine) {
  std::string log = tmp() + "/runtime.log";
  BundleBuilder bundle = NewBundle();
  bundle.WithoutRootfs();
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result =
      rt().Run({"--log", log, "--log-format", "json", "create", "--bundle", bundle.dir(), NewId()});
  EXPECT_EQ(result.exit_code, 1) << result;
  std::vector<std::string> lines = Lines(ReadFile(log));
  ASSERT_FALSE(lines.empty()) << "empty log; " << result;
  json last = json::parse(lines.back(), nullptr, false);
  ASSERT_TRUE(last.is_object()) << lines.back();
  EXPECT_EQ(last["level"], "error");
  EXPECT_THAT(last["msg"].get<std::string>(), HasSubstr("rootfs"));
  for (const std::string& line : lines) {
    EXPECT_TRUE(json::parse(line, nullptr, false).is_object()) << "not JSON: " << line;
  }
  ExpectNothingLeft();
}

}  // namespace
}  // namespace runsc::testing
