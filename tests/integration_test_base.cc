// IntegrationTest implementation.
#include "tests/integration_test_base.h"

#include <stdlib.h>
#include <sys/prctl.h>

#include <filesystem>
#include <map>
#include <sstream>

#include "fmt/format.h"

namespace runsc::testing {

void IntegrationTest::SetUp() {
  char tmpl[] = "/tmp/runsc-it-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  tmp_ = tmpl;
  suffix_ = tmp_.substr(tmp_.size() - 6);
  for (char& c : suffix_) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  runtime_ = std::make_unique<Runtime>(GetParam(), tmp_ + "/root", tmp_);
}

void IntegrationTest::TearDown() {
  if (tmp_.empty()) return;  // SetUp failed before making the temp dir.
  if (runtime_ != nullptr) runtime_->DeleteAll();
  ExpectNothingLeft();
  runtime_.reset();
  std::error_code ec;
  std::filesystem::remove_all(tmp_, ec);
}

std::string IntegrationTest::NewId() { return fmt::format("it-{}-{}", suffix_, counter_++); }

BundleBuilder IntegrationTest::NewBundle() {
  std::string name = fmt::format("bundle{}", counter_++);
  BundleBuilder bundle(tmp_ + "/" + name);
  std::string cgroup = fmt::format("/runsc-it-{}-{}", suffix_, name);
  cgroup_paths_.push_back(cgroup);
  bundle.CgroupsPath(cgroup);
  return bundle;
}

RunResult IntegrationTest::RunInBundle(BundleBuilder& bundle, std::string id) {
  EXPECT_TRUE(bundle.Write().ok());
  if (id.empty()) id = NewId();
  return rt().Run({"run", "--bundle", bundle.dir(), id});
}

RunResult IntegrationTest::RunPayload(std::vector<std::string> args) {
  BundleBuilder bundle = NewBundle();
  bundle.Args(std::move(args));
  return RunInBundle(bundle);
}

void IntegrationTest::CreateOrDie(BundleBuilder& bundle, const std::string& id) {
  ASSERT_TRUE(bundle.Write().ok());
  RunResult result = rt().Run({"create", "--bundle", bundle.dir(), id});
  ASSERT_EQ(result.exit_code, 0) << result;
}

void IntegrationTest::StartSleeper(const std::string& id) {
  BundleBuilder bundle = NewBundle();
  bundle.Args({"/bin/payload", "sleep", "1000"});
  CreateOrDie(bundle, id);
  RunResult start = rt().Run({"start", id});
  ASSERT_EQ(start.exit_code, 0) << start;
}

absl::StatusOr<nlohmann::json> IntegrationTest::State(const std::string& id) {
  RunResult result = rt().Run({"state", id});
  if (result.exit_code != 0) {
    return absl::NotFoundError(fmt::format("state {}: {}", id, result.err));
  }
  nlohmann::json state = nlohmann::json::parse(result.out, nullptr, false);
  if (state.is_discarded()) {
    return absl::InternalError(fmt::format("state {}: not JSON: {}", id, result.out));
  }
  return state;
}

bool IntegrationTest::WaitForStatus(const std::string& id, const std::string& status) {
  return WaitUntil([&] {
    absl::StatusOr<nlohmann::json> state = State(id);
    return state.ok() && state->value("status", "") == status;
  });
}

void IntegrationTest::ExpectNothingLeft(const std::vector<std::string>& keep_ids) {
  std::vector<std::string> states;
  for (const std::string& entry : DirEntries(tmp_ + "/root")) {
    bool kept = std::find(keep_ids.begin(), keep_ids.end(), entry) != keep_ids.end();
    if (!kept && entry.rfind("it-", 0) == 0) states.push_back(entry);
  }
  EXPECT_THAT(states, ::testing::IsEmpty()) << "state dirs left under " << tmp_ << "/root";
  if (!keep_ids.empty()) return;  // Live containers legitimately hold processes and cgroups.
  std::vector<std::string> processes;
  WaitUntil([&] {
    processes = ProcessesUsing(tmp_);
    return processes.empty();
  });
  EXPECT_THAT(processes, ::testing::IsEmpty()) << "processes left using " << tmp_;
  // A daemon of the runtime (e.g. runsc's sentry) names its container on its command line.
  std::vector<int> daemons;
  WaitUntil([&] {
    daemons = ProcessesWithArgPrefix(fmt::format("it-{}-", suffix_));
    return daemons.empty();
  });
  EXPECT_THAT(daemons, ::testing::IsEmpty()) << "processes left naming this test's containers";
  EXPECT_THAT(MountsUnder(tmp_), ::testing::IsEmpty()) << "mounts left under " << tmp_;
  for (const std::string& cgroup : cgroup_paths_) {
    EXPECT_THAT(CgroupDirs(cgroup), ::testing::IsEmpty()) << "cgroup dirs left";
  }
}

void IntegrationTest::ExpectOneLineError(const RunResult& result) {
  EXPECT_EQ(result.exit_code, 1) << result;
  EXPECT_FALSE(result.timed_out) << result;
  std::string err = result.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  EXPECT_FALSE(err.empty()) << result;
  EXPECT_EQ(err.find('\n'), std::string::npos) << "error is not one line: " << result;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::map<std::string, long long> KeyValues(const std::string& line) {
  std::map<std::string, long long> values;
  std::istringstream in(line);
  for (std::string field; in >> field;) {
    size_t eq = field.find('=');
    if (eq == std::string::npos) continue;
    values[field.substr(0, eq)] = std::stoll(field.substr(eq + 1));
  }
  return values;
}

}  // namespace runsc::testing
