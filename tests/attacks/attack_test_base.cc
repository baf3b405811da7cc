// AttackTest, LoopDevice and host inode snapshots.
#include "tests/attacks/attack_test_base.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "fmt/format.h"

namespace runsc::testing {
namespace {

namespace fs = std::filesystem;

// Runs a shell command on the host; returns its stdout+stderr with the trailing
// newline removed.
std::string Shell(const std::string& command, int* status) {
  std::string out;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) {
    *status = -1;
    return "popen failed";
  }
  char buf[256];
  while (fgets(buf, sizeof(buf), pipe) != nullptr) out += buf;
  *status = pclose(pipe);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string Pattern(size_t size) {
  std::string pattern;
  while (pattern.size() < size)
    pattern += "runsc attack suite: this pattern must survive\n";
  pattern.resize(size);
  return pattern;
}

}  // namespace

LoopDevice::LoopDevice(const std::string& backing, size_t size)
    : backing_(backing), pattern_(Pattern(size)) {
  std::ofstream(backing_, std::ios::binary) << pattern_;
  int status = 0;
  std::string out = Shell("losetup -f --show " + backing_, &status);
  struct stat st;
  if (status != 0 || out.rfind("/dev/loop", 0) != 0 ||
      stat(out.c_str(), &st) != 0 || !S_ISBLK(st.st_mode) ||
      major(st.st_rdev) != 7) {
    error_ = fmt::format("no loop device (losetup -f --show: status {}: {})",
                         status, out);
    if (out.rfind("/dev/loop", 0) == 0) Shell("losetup -d " + out, &status);
    return;
  }
  device_ = out;
  minor_ = minor(st.st_rdev);
}

LoopDevice::~LoopDevice() {
  int status = 0;
  if (ok()) Shell("losetup -d " + device_, &status);
}

bool LoopDevice::HoldsPattern() const {
  int fd = open(device_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::string content(pattern_.size(), '\0');
  ssize_t n = pread(fd, content.data(), content.size(), 0);
  close(fd);
  return n == static_cast<ssize_t>(content.size()) && content == pattern_;
}

bool HostInode::operator==(const HostInode& other) const {
  return dev == other.dev && ino == other.ino && uid == other.uid &&
         gid == other.gid && mode == other.mode &&
         ctime.tv_sec == other.ctime.tv_sec &&
         ctime.tv_nsec == other.ctime.tv_nsec;
}

HostInode StatHost(const std::string& path) {
  struct stat st {};
  HostInode inode;
  if (stat(path.c_str(), &st) != 0) return inode;
  inode.dev = st.st_dev;
  inode.ino = st.st_ino;
  inode.uid = st.st_uid;
  inode.gid = st.st_gid;
  inode.mode = st.st_mode;
  inode.ctime = st.st_ctim;
  return inode;
}

void PrintTo(const HostInode& inode, std::ostream* os) {
  *os << fmt::format("dev={} ino={} uid={} gid={} mode={:o} ctime={}.{:09}",
                     inode.dev, inode.ino, inode.uid, inode.gid, inode.mode,
                     inode.ctime.tv_sec, inode.ctime.tv_nsec);
}

BundleBuilder AttackTest::AttackBundle() {
  BundleBuilder bundle = NewBundle();
  bundle.Capabilities({"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER",
                       "CAP_FSETID", "CAP_MKNOD", "CAP_SETFCAP", "CAP_SETUID",
                       "CAP_SETGID", "CAP_KILL", "CAP_AUDIT_WRITE",
                       "CAP_NET_BIND_SERVICE"});
  bundle.ReadonlyRoot(false);
  fs::create_directories(bundle.rootfs() + "/bin");
  fs::copy_file(RUNSC_ATTACK_BINARY, bundle.rootfs() + "/bin/attack");
  return bundle;
}

RunResult AttackTest::RunScript(BundleBuilder& bundle,
                                const std::string& script) {
  return RunScriptWithFlags(bundle, script, {});
}

RunResult AttackTest::RunScriptWithFlags(
    BundleBuilder& bundle, const std::string& script,
    const std::vector<std::string>& flags) {
  bundle.Args({"sh", "-c", script});
  EXPECT_TRUE(bundle.Write().ok());
  std::vector<std::string> args = flags;
  for (const char* arg : {"run", "--bundle"}) args.push_back(arg);
  args.push_back(bundle.dir());
  args.push_back(NewId());
  return rt().Run(args, std::chrono::seconds(60));
}

std::string AttackTest::HostDir(const std::string& name) {
  std::string dir = tmp() + "/" + name;
  fs::create_directories(dir);
  chmod(dir.c_str(), 0777);
  return dir;
}

std::string Outcome(const std::string& out, const std::string& label) {
  for (const std::string& line : Lines(out)) {
    if (line.rfind(label + " ", 0) == 0) return line.substr(label.size() + 1);
  }
  return "";
}

::testing::AssertionResult Refused(const RunResult& result,
                                   const std::string& label) {
  std::string outcome = Outcome(result.out, label);
  if (!outcome.empty() && outcome.front() == 'E')
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "step " << label << " was not refused (\"" << outcome << "\")\n"
         << result;
}

}  // namespace runsc::testing
