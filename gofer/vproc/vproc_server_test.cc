// Kernel tests: a real FUSE mount (in a child with its own mount namespace)
// served by Serve on a thread that runs under the gofer's seccomp filter,
// read with read(2)/pread(2)/lseek(2) like procfs readers do.
#include "gofer/vproc/vproc_server.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <thread>

#include "fmt/format.h"
#include "gofer/gofer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "platform/child_test_util.h"

namespace gofer::vproc {
namespace {

using platform::testing::ExpectInChild;

// A large file (more than one 128 KiB FUSE read) and a file whose text
// changes at every OPEN ("snapshot N" repeated), to check consistency.
constexpr size_t kBigSize = 300000;

std::string BigText() {
  std::string text;
  for (size_t i = 0; text.size() < kBigSize; ++i) text += fmt::format("line {}\n", i);
  return text;
}

std::string SnapshotText(int n) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += fmt::format("snapshot {}\n", n);
  return text;
}

// Keeps the compiler from dropping an allocation.
void benchmark_sink(const std::vector<std::string>& value) {
  static std::atomic<size_t> total{0};
  total += value.size();
}

Options TestOptions() {
  static std::atomic<int> opens{0};
  Options options;
  options.generate = [](VFile file) -> absl::StatusOr<std::string> {
    switch (file) {
      case VFile::kStat: return BigText();
      case VFile::kUptime: return SnapshotText(opens++);
      case VFile::kDiskstats: return absl::InternalError("broken source");
      case VFile::kSwaps: return std::string();
      default: return std::string(AllFiles()[static_cast<int>(file)].name) + " text\n";
    }
  };
  return options;
}

// Reads `fd` to EOF in chunks of `chunk` bytes.
std::string ReadAll(int fd, size_t chunk) {
  std::string text;
  std::vector<char> buffer(chunk);
  for (ssize_t n; (n = read(fd, buffer.data(), chunk)) > 0;) text.append(buffer.data(), n);
  return text;
}

std::string ReadPath(const std::string& path, size_t chunk = 65536) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<open failed>";
  std::string text = ReadAll(fd, chunk);
  close(fd);
  return text;
}

// In a child with its own mount namespace: mounts the server on a temp dir,
// serves on a thread under the gofer's filter, runs `body(dir)`, unmounts
// and checks that Serve returned OK.
void WithMount(const Options& options, const std::function<std::string(const std::string&)>& body) {
  ExpectInChild([&]() -> std::string {
    alarm(60);  // bound every wait: a hang kills the child and fails the test
    char tmpl[] = "/tmp/vproc_mnt_XXXXXX";
    CHILD_EXPECT(mkdtemp(tmpl) != nullptr);
    const std::string dir = tmpl;
    int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    CHILD_EXPECT(fd >= 0);
    CHILD_EXPECT(mount("vproc", dir.c_str(), "fuse", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                       MountData(fd, 0, 0).c_str()) == 0);
    absl::Status served = absl::UnknownError("not run");
    std::thread server([&] {
      absl::Status filter = InstallGoferFilter();  // this thread only (no TSYNC)
      served = filter.ok() ? Serve(fd, options) : filter;
    });
    std::string result = body(dir);
    if (umount2(dir.c_str(), 0) != 0 && result.empty()) result = fmt::format("umount: {}", strerror(errno));
    server.join();
    if (result.empty() && !served.ok()) result = "Serve: " + served.ToString();
    close(fd);
    rmdir(dir.c_str());
    return result;
  });
}

// The gofer's threads (file server and vproc) allocate concurrently under
// its filter: glibc's malloc then creates arenas, sized with
// sched_getaffinity, which the filter must allow (it killed the gofer once).
TEST(VprocServerTest, ThreadsMayAllocateUnderTheGofersFilter) {
  ExpectInChild([]() -> std::string {
    alarm(60);
    CHILD_EXPECT_OK(InstallGoferFilter());  // single-threaded here: every later thread has it
    std::vector<std::thread> threads;
    std::atomic<int> done{0};
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        for (int round = 0; round < 20000; ++round) {
          std::vector<std::string> garbage(8, std::string(100 + round % 500, 'x'));
          benchmark_sink(garbage);
        }
        ++done;
      });
    }
    for (std::thread& thread : threads) thread.join();
    cpu_set_t set;
    CHILD_EXPECT(sched_getaffinity(0, sizeof(set), &set) == 0);
    CHILD_EXPECT(done == 8);
    return "";
  });
}

TEST(VprocServerTest, WholeFilesAndDirectory) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    CHILD_EXPECT(ReadPath(dir + "/meminfo") == "meminfo text\n");
    CHILD_EXPECT(ReadPath(dir + "/cpu_online") == "cpu_online text\n");
    CHILD_EXPECT(ReadPath(dir + "/stat") == BigText());
    CHILD_EXPECT(ReadPath(dir + "/swaps").empty());
    struct stat st;
    CHILD_EXPECT(stat((dir + "/meminfo").c_str(), &st) == 0);
    CHILD_EXPECT(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0444 && st.st_size >= 65536);
    CHILD_EXPECT(stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
    std::vector<std::string> names;
    DIR* listing = opendir(dir.c_str());
    CHILD_EXPECT(listing != nullptr);
    while (struct dirent* entry = readdir(listing)) names.push_back(entry->d_name);
    closedir(listing);
    CHILD_EXPECT(names.size() == AllFiles().size() + 2);
    CHILD_EXPECT(std::find(names.begin(), names.end(), "loadavg") != names.end());
    struct statfs fs;
    CHILD_EXPECT(statfs(dir.c_str(), &fs) == 0);
    return "";
  });
}

// The gofer serves every mount from one poll loop (gofer/virtual_proc.cc):
// two O_NONBLOCK connections on one thread under the gofer's filter, each
// answering its own mount, until both are unmounted.
TEST(VprocServerTest, ConnectionsShareOnePollLoop) {
  ExpectInChild([]() -> std::string {
    alarm(60);
    std::vector<std::string> dirs;
    std::vector<struct pollfd> fds;
    std::vector<std::unique_ptr<Connection>> connections;
    for (int i = 0; i < 2; ++i) {
      char tmpl[] = "/tmp/vproc_mnt_XXXXXX";
      CHILD_EXPECT(mkdtemp(tmpl) != nullptr);
      int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC | O_NONBLOCK);
      CHILD_EXPECT(fd >= 0);
      CHILD_EXPECT(mount("vproc", tmpl, "fuse", MS_NOSUID | MS_NODEV | MS_NOEXEC, MountData(fd, 0, 0).c_str()) == 0);
      dirs.push_back(tmpl);
      fds.push_back({fd, POLLIN, 0});
      connections.push_back(std::make_unique<Connection>(fd, TestOptions()));
    }
    std::atomic<int> ended{0};
    std::thread loop([&] {
      if (!InstallGoferFilter().ok()) return;
      while (ended < 2 && poll(fds.data(), fds.size(), -1) >= 0) {
        for (size_t i = 0; i < fds.size(); ++i) {
          if (fds[i].revents == 0) continue;
          absl::StatusOr<bool> open = connections[i]->ServeReady();
          if (!open.ok() || !*open) fds[i].fd = -1, ++ended;
        }
      }
    });
    CHILD_EXPECT(ReadPath(dirs[0] + "/meminfo") == "meminfo text\n");
    CHILD_EXPECT(ReadPath(dirs[1] + "/cpu_online") == "cpu_online text\n");
    CHILD_EXPECT(ReadPath(dirs[0] + "/stat") == BigText());
    for (const std::string& dir : dirs) CHILD_EXPECT(umount2(dir.c_str(), 0) == 0);
    loop.join();
    CHILD_EXPECT(ended == 2);
    return "";
  });
}

TEST(VprocServerTest, ShortReadsSeeOneSnapshot) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    int fd = open((dir + "/uptime").c_str(), O_RDONLY | O_CLOEXEC);
    CHILD_EXPECT(fd >= 0);
    // A second open in between takes a new snapshot; ours must not change.
    int other = open((dir + "/uptime").c_str(), O_RDONLY | O_CLOEXEC);
    std::string first = ReadAll(fd, 1);
    CHILD_EXPECT(first.size() == SnapshotText(0).size());
    CHILD_EXPECT(first == SnapshotText(0) || first == SnapshotText(1));
    std::string second = ReadAll(other, 3);
    CHILD_EXPECT(second != first && second.size() == first.size());
    // Seek back: the same snapshot again, not a new one.
    CHILD_EXPECT(lseek(fd, 0, SEEK_SET) == 0);
    CHILD_EXPECT(ReadAll(fd, 4096) == first);
    CHILD_EXPECT(lseek(fd, 9, SEEK_SET) == 9);
    char c;
    CHILD_EXPECT(read(fd, &c, 1) == 1 && c == first[9]);
    close(other);
    close(fd);
    return "";
  });
}

// sendfile(2) of the whole file, as busybox's cat does.
std::string SendfileAll(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "<open failed>";
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return "<pipe failed>";
  fcntl(pipe_fds[1], F_SETPIPE_SZ, 1 << 20);
  std::string text;
  for (ssize_t n; (n = sendfile(pipe_fds[1], fd, nullptr, 65536)) > 0;) {
    std::vector<char> buffer(n);
    if (read(pipe_fds[0], buffer.data(), n) != n) return "<short pipe read>";
    text.append(buffer.data(), n);
  }
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(fd);
  return text;
}

// Kernels before "fuse: use copy_splice_read() for FOPEN_DIRECT_IO" splice
// a direct-I/O file from the page cache bounded by its size (kMinSizeHint).
TEST(VprocServerTest, SendfileGetsTheWholeTextEachTime) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    CHILD_EXPECT(SendfileAll(dir + "/meminfo") == "meminfo text\n");
    CHILD_EXPECT(SendfileAll(dir + "/meminfo") == "meminfo text\n");
    CHILD_EXPECT(SendfileAll(dir + "/stat") == BigText());  // more than the 64 KiB minimum
    const std::string first = SendfileAll(dir + "/uptime");
    const std::string second = SendfileAll(dir + "/uptime");
    CHILD_EXPECT(first.size() == SnapshotText(0).size() && second.size() == first.size() && first != second);
    CHILD_EXPECT(ReadPath(dir + "/meminfo") == "meminfo text\n");
    return "";
  });
}

TEST(VprocServerTest, PreadPastTheEndReturnsNothing) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    int fd = open((dir + "/stat").c_str(), O_RDONLY | O_CLOEXEC);
    CHILD_EXPECT(fd >= 0);
    char buffer[64];
    const std::string big = BigText();
    CHILD_EXPECT(pread(fd, buffer, sizeof(buffer), big.size()) == 0);
    CHILD_EXPECT(pread(fd, buffer, sizeof(buffer), 1ll << 40) == 0);
    CHILD_EXPECT(pread(fd, buffer, sizeof(buffer), big.size() - 10) == 10);
    CHILD_EXPECT(std::string(buffer, 10) == big.substr(big.size() - 10));
    CHILD_EXPECT(pread(fd, buffer, 5, 200000) == 5 && std::string(buffer, 5) == big.substr(200000, 5));
    CHILD_EXPECT(lseek(fd, 1ll << 40, SEEK_SET) == (1ll << 40));
    CHILD_EXPECT(read(fd, buffer, sizeof(buffer)) == 0);
    close(fd);
    return "";
  });
}

// Linux's seq files cannot seek from their end (seq_lseek); fstat still
// reports the size hint, and seeking from the start or the position works.
TEST(VprocServerTest, SeekFromTheEndIsEinvalAsOnASeqFile) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    for (const char* name : {"/meminfo", "/stat"}) {
      int fd = open((dir + name).c_str(), O_RDONLY | O_CLOEXEC);
      CHILD_EXPECT(fd >= 0);
      const off_t end = lseek(fd, 0, SEEK_END);
      const int end_errno = errno;
      const off_t set = lseek(fd, 3, SEEK_SET);
      const off_t cur = lseek(fd, 0, SEEK_CUR);
      struct stat st {};
      const int stat_rc = fstat(fd, &st);
      close(fd);  // before any check: an open file would keep the unmount busy
      CHILD_EXPECT(end == -1 && end_errno == EINVAL);
      CHILD_EXPECT(set == 3 && cur == 3);
      CHILD_EXPECT(stat_rc == 0 && st.st_size > 0);
    }
    return "";
  });
}

TEST(VprocServerTest, ConcurrentReaders) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    std::atomic<int> good{0};
    std::vector<std::thread> readers;
    for (int i = 0; i < 8; ++i) {
      readers.emplace_back([&, i] {
        bool ok = true;
        for (int round = 0; round < 20; ++round) {
          ok = ok && ReadPath(dir + "/stat", 1000 + i * 777) == BigText();
          ok = ok && ReadPath(dir + "/meminfo", 1 + i) == "meminfo text\n";
        }
        if (ok) ++good;
      });
    }
    for (std::thread& reader : readers) reader.join();
    CHILD_EXPECT(good == 8);
    return "";
  });
}

TEST(VprocServerTest, ErrorsLikeAReadOnlyFilesystem) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    CHILD_EXPECT(open((dir + "/meminfo").c_str(), O_WRONLY | O_CLOEXEC) < 0 && errno == EACCES);
    CHILD_EXPECT(open((dir + "/meminfo").c_str(), O_RDWR | O_CLOEXEC) < 0 && errno == EACCES);
    CHILD_EXPECT(open((dir + "/meminfo").c_str(), O_RDONLY | O_TRUNC | O_CLOEXEC) < 0 && errno == EACCES);
    CHILD_EXPECT(open((dir + "/nonexistent").c_str(), O_RDONLY | O_CLOEXEC) < 0 && errno == ENOENT);
    CHILD_EXPECT(open((dir + "/new").c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, 0644) < 0);
    CHILD_EXPECT(mkdir((dir + "/d").c_str(), 0755) < 0);
    CHILD_EXPECT(unlink((dir + "/meminfo").c_str()) < 0);
    CHILD_EXPECT(chmod((dir + "/meminfo").c_str(), 0666) < 0);
    CHILD_EXPECT(open((dir + "/meminfo/x").c_str(), O_RDONLY | O_CLOEXEC) < 0 && errno == ENOTDIR);
    // A failing source is EIO at open, and the server keeps serving.
    CHILD_EXPECT(open((dir + "/diskstats").c_str(), O_RDONLY | O_CLOEXEC) < 0 && errno == EIO);
    CHILD_EXPECT(ReadPath(dir + "/meminfo") == "meminfo text\n");
    return "";
  });
}

TEST(VprocServerTest, BindMountedOverAFile) {
  WithMount(TestOptions(), [](const std::string& dir) -> std::string {
    // What the lead does: bind a served file over its target.
    char tmpl[] = "/tmp/vproc_target_XXXXXX";
    int target = mkstemp(tmpl);
    CHILD_EXPECT(target >= 0);
    close(target);
    CHILD_EXPECT(mount((dir + "/loadavg").c_str(), tmpl, nullptr, MS_BIND, nullptr) == 0);
    CHILD_EXPECT(ReadPath(tmpl) == "loadavg text\n");
    CHILD_EXPECT(umount2(tmpl, 0) == 0);
    unlink(tmpl);
    return "";
  });
}

TEST(VprocServerTest, HandleLimitIsEnfile) {
  Options options = TestOptions();
  options.max_open_handles = 2;
  WithMount(options, [](const std::string& dir) -> std::string {
    int a = open((dir + "/meminfo").c_str(), O_RDONLY | O_CLOEXEC);
    int b = open((dir + "/meminfo").c_str(), O_RDONLY | O_CLOEXEC);
    CHILD_EXPECT(a >= 0 && b >= 0);
    CHILD_EXPECT(open((dir + "/meminfo").c_str(), O_RDONLY | O_CLOEXEC) < 0 && errno == ENFILE);
    close(a);
    int c = open((dir + "/meminfo").c_str(), O_RDONLY | O_CLOEXEC);
    CHILD_EXPECT(c >= 0);  // RELEASE freed a slot
    close(b);
    close(c);
    return "";
  });
}

// The real source on this host without a cgroup: the host's values.
TEST(VprocServerTest, RealSourceWithoutCgroupShowsTheHost) {
  SourceOptions source_options;
  auto source = MachineSource::Open(source_options);
  ASSERT_TRUE(source.ok()) << source.status();
  Options options;
  options.generate = GenerateFrom(**source);
  WithMount(options, [](const std::string& dir) -> std::string {
    std::string meminfo = ReadPath(dir + "/meminfo");
    std::string host = ReadPath("/proc/meminfo");
    CHILD_EXPECT(meminfo.substr(0, meminfo.find('\n')) == host.substr(0, host.find('\n')));
    CHILD_EXPECT(ReadPath(dir + "/cpu_online") == fmt::format("0-{}\n", sysconf(_SC_NPROCESSORS_ONLN) - 1) ||
                 sysconf(_SC_NPROCESSORS_ONLN) == 1);
    std::string uptime = ReadPath(dir + "/uptime");
    CHILD_EXPECT(!uptime.empty() && uptime.back() == '\n');
    std::string cpuinfo = ReadPath(dir + "/cpuinfo");
    CHILD_EXPECT(cpuinfo.find("processor") != std::string::npos);
    return "";
  });
}

}  // namespace
}  // namespace gofer::vproc
