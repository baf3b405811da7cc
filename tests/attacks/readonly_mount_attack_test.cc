// Hole 2 of issue 15: read-only mounts made writable through the gofer. A mount
// that is read-only in the spec, or on the host, must stay read-only for
// brokered calls too: (a) a spec "ro" bind nested in an "rbind,rw" bind
// (Docker's `-v a:/data -v b:/data/sub:ro`), (b) a host mount that is itself
// read-only under an rbind source. runc: every write below is EROFS.
#include <sys/mount.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "tests/attacks/attack_test_base.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

// Each tampering step of the workload, by label suffix, as `attack` arguments
// on DIR.
const std::vector<std::pair<std::string, std::string>> kTamperSteps = {
    {"trunc", "open {0}.trunc {1}/file wronly,trunc write"},
    {"append", "open {0}.append {1}/file wronly,append write"},
    {"truncate", "truncate {0}.truncate {1}/file 0"},
    {"chmod", "chmod {0}.chmod {1}/file 0777"},
    {"rename", "rename {0}.rename {1}/file {1}/renamed"},
    {"creat", "open {0}.creat {1}/new wronly,creat"},
    {"mkdir", "mkdir {0}.mkdir {1}/dir"},
    {"symlink", "symlink {0}.symlink file {1}/link"},
    {"unlink", "unlink {0}.unlink {1}/file"},
};

class ReadonlyMountAttackTest : public AttackTest {
 protected:
  void TearDown() override {
    for (const std::string& mount : host_mounts_)
      umount2(mount.c_str(), MNT_DETACH);
    AttackTest::TearDown();
  }

  // A host directory holding only `file` ("original\n", mode 0644).
  std::string VictimDir(const std::string& name) {
    std::string dir = HostDir(name);
    std::ofstream(dir + "/file") << "original\n";
    chmod((dir + "/file").c_str(), 0644);
    return dir;
  }

  // Bind-mounts `source` on `target` on the host; unmounted in TearDown.
  bool HostBind(const std::string& source, const std::string& target) {
    if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0)
      return false;
    host_mounts_.push_back(target);
    return true;
  }

  // HostBind, then read-only.
  bool HostReadonlyBind(const std::string& source, const std::string& target) {
    return HostBind(source, target) &&
           mount(nullptr, target.c_str(), nullptr,
                 MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) == 0;
  }

  // The workload's script: every tampering step on `dir` (a path in the
  // container).
  static std::string TamperScript(const std::string& label,
                                  const std::string& dir) {
    std::string script;
    for (const auto& [name, step] : kTamperSteps)
      script +=
          "/bin/attack " + fmt::format(fmt::runtime(step), label, dir) + ";";
    return script;
  }

  // EXPECTs that `dir` on the host still holds only `file`, unchanged, and that
  // each step was EROFS.
  static void ExpectUntouched(const std::string& dir, const RunResult& result,
                              const std::string& label) {
    EXPECT_EQ(ReadFile(dir + "/file"), "original\n") << result;
    struct stat st {};
    EXPECT_EQ(stat((dir + "/file").c_str(), &st), 0) << result;
    EXPECT_EQ(st.st_mode & 07777, 0644u) << result;
    EXPECT_EQ(DirEntries(dir), std::vector<std::string>{"file"}) << result;
    for (const auto& [name, step] : kTamperSteps) {
      EXPECT_EQ(Outcome(result.out, label + "." + name), "EROFS")
          << name << "\n"
          << result;
    }
  }

 private:
  std::vector<std::string> host_mounts_;
};
RUNSC_INSTANTIATE_FOR_RUNTIMES(ReadonlyMountAttackTest);

// (a) -v a:/data (rbind,rw) -v b:/data/sub:ro; the workload tampers with
// /data/sub/file.
TEST_P(ReadonlyMountAttackTest,
       ASpecReadonlyBindNestedInAWritableBindStaysReadonly) {
  std::string outer = HostDir("outer");
  fs::create_directories(outer + "/sub");
  std::string victim = VictimDir("victim");
  BundleBuilder bundle = AttackBundle();
  bundle.AddMount("/data", "bind", outer, {"rbind", "rw"})
      .AddMount("/data/sub", "bind", victim, {"rbind", "ro"});
  RunResult result = RunScript(
      bundle, "/bin/attack open precondition /data/written wronly,creat;" +
                  TamperScript("nested", "/data/sub"));
  EXPECT_EQ(Outcome(result.out, "precondition"), "ok")
      << "the outer bind is writable\n"
      << result;
  ExpectUntouched(victim, result, "nested");
}

// (b) The rbind source holds a mount that is read-only on the host; the
// workload tampers with it.
TEST_P(ReadonlyMountAttackTest,
       AHostReadonlyMountUnderAnRbindSourceStaysReadonly) {
  std::string source = HostDir("source");
  fs::create_directories(source + "/inner");
  std::string victim = VictimDir("victim");
  if (!HostReadonlyBind(victim, source + "/inner"))
    GTEST_SKIP() << "cannot make a read-only bind mount on the host";
  ASSERT_NE(access((source + "/inner/file").c_str(), W_OK), 0)
      << "precondition: the host mount is read-only";
  BundleBuilder bundle = AttackBundle();
  bundle.AddMount("/data", "bind", source, {"rbind", "rw"});
  RunResult result = RunScript(
      bundle, "/bin/attack open precondition /data/written wronly,creat;" +
                  TamperScript("hostro", "/data/inner"));
  EXPECT_EQ(Outcome(result.out, "precondition"), "ok")
      << "the rbind is writable\n"
      << result;
  ExpectUntouched(victim, result, "hostro");
}

// (c) "rro" (runc's recursive read-only, which Docker 25+ and containerd 2
// send): the rbind source holds a writable host mount, read-only beneath the
// bind in the container, also for the gofer.
TEST_P(ReadonlyMountAttackTest, AWritableHostMountUnderAnRroBindStaysReadonly) {
  std::string source = HostDir("source");
  fs::create_directories(source + "/inner");
  std::string victim = VictimDir("victim");
  ASSERT_TRUE(HostBind(victim, source + "/inner"));
  ASSERT_EQ(access((source + "/inner/file").c_str(), W_OK), 0)
      << "precondition: the host mount is writable";
  std::string scratch = HostDir("scratch");
  BundleBuilder bundle = AttackBundle();
  bundle.AddMount("/data", "bind", source, {"rbind", "rro"})
      .AddMount("/scratch", "bind", scratch, {"rbind", "rw"});
  RunResult result = RunScript(
      bundle, "/bin/attack open precondition /scratch/written wronly,creat;" +
                  TamperScript("rro", "/data/inner"));
  EXPECT_EQ(Outcome(result.out, "precondition"), "ok")
      << "the other bind is writable\n"
      << result;
  ExpectUntouched(victim, result, "rro");
}
}  // namespace
}  // namespace runsc::testing
