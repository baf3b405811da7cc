// Issue 16: CPython's OS-facing test suites (test_os, test_shutil, test_posix,
// test_stat, test_tempfile, test_pathlib, test_tarfile, test_zipfile, test_io,
// test_fileio, test_glob, test_filecmp; the image's libpython3.11-testsuite)
// give the same per-test results under runsc as under runc, both run here
// through `docker run` on the compat image (label `compat`; each run takes
// minutes). Each run's wall time is printed.
#include <chrono>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/debian_compat_support.h"
#include "tests/debian_image.h"
#include "tests/integration_test_base.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct SuiteRun {
  Shell shell;
  std::string status;              // regrtest's exit status
  std::vector<std::string> cases;  // "<id> <outcome>", sorted
  double seconds = 0;
};

SuiteRun RunSuites(const CompatRuntime& runtime, const std::string& out) {
  fs::create_directories(out);
  auto start = std::chrono::steady_clock::now();
  SuiteRun run;
  run.shell = DockerRun(runtime, {"bash", "/in/cpython.sh"},
                        fmt::format("-v {}:/out", out), 3600s);
  run.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  run.status = Trim(ReadFile(out + "/status.txt"));
  run.cases = Lines(ReadFile(out + "/cases.txt"));
  std::cout << fmt::format(
      "[ compat ] {}: regrtest status {}, {} test cases, {:.0f} s wall\n",
      runtime.name, run.status, run.cases.size(), run.seconds);
  return run;
}

// The cases whose outcome differs: "<id>: runc <outcome>, runsc <outcome>".
std::vector<std::string> Differences(const std::vector<std::string>& runc,
                                     const std::vector<std::string>& runsc) {
  std::set<std::string> a(runc.begin(), runc.end()),
      b(runsc.begin(), runsc.end());
  std::vector<std::string> differences;
  for (const std::string& line : a) {
    if (!b.count(line)) differences.push_back("runc only: " + line);
  }
  for (const std::string& line : b) {
    if (!a.count(line)) differences.push_back("runsc only: " + line);
  }
  return differences;
}

TEST(CpythonCompatTest, OsFacingSuitesGiveRuncsResults) {
  std::string reason = PrepareDocker();
  if (reason.empty()) reason = DebootstrapPrecondition(CompatRootfs());
  if (!reason.empty()) GTEST_SKIP() << reason;
  std::string error = MakeCompatRootfs();
  if (error.empty()) CompatInputs(&error);
  if (error.empty()) error = ImportCompatImage();
  ASSERT_EQ(error, "");
  ASSERT_TRUE(
      fs::exists(CompatRootfs() + "/usr/lib/python3.11/test/test_os.py"))
      << "the compat image has no CPython test suite (libpython3.11-testsuite)";
  std::string out = fmt::format("/tmp/runsc-cpython-{}", getpid());
  SuiteRun runc = RunSuites(Runc(), out + "/runc");
  SuiteRun runsc = RunSuites(Runsc(), out + "/runsc");
  EXPECT_GT(runc.cases.size(), 1000u)
      << runc.shell << ReadFile(out + "/runc/regrtest.log");
  EXPECT_EQ(runsc.status, runc.status) << ReadFile(out + "/runsc/regrtest.log");
  std::vector<std::string> differences = Differences(runc.cases, runsc.cases);
  EXPECT_THAT(differences, ::testing::IsEmpty())
      << ReadFile(out + "/runsc/regrtest.log");
  if (!HasFailure()) fs::remove_all(out);
}

}  // namespace
}  // namespace runsc::testing
