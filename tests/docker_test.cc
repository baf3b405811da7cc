// Docker integration tests: `docker run --runtime=$RUNSC_DOCKER_RUNTIME` (default "runsc", the
// built runsc registered with `runsc install`; "runc" checks that each expectation is Docker's).
// They need a running dockerd (scripts/docker-test starts one) and skip if there is none.
// Network rule: traffic goes only to loopback; containers that get Docker's bridge send nothing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/docker_support.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

using ::testing::AnyOf;
using ::testing::ContainsRegex;
using ::testing::EndsWith;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

TEST_F(DockerTest, RunReturnsTheExitCodeAndOutput) {
  Shell r = Run("", "echo to-stdout; echo to-stderr >&2; exit 3");
  EXPECT_EQ(r.code, 3) << r;
  EXPECT_EQ(r.out, "to-stdout\n");
  EXPECT_THAT(r.err, HasSubstr("to-stderr"));
}

TEST_F(DockerTest, EnvAndWorkdir) {
  Shell r = Run("-e GREETING=hello -w /tmp", "echo $GREETING; pwd");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "hello\n/tmp\n");
}

TEST_F(DockerTest, User) {
  Shell r = Run("-u 1000:1000", "id -u; id -g");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "1000\n1000\n");
}

TEST_F(DockerTest, ReadOnlyRootWithWritableTmpfs) {
  Shell r = Run("--read-only --tmpfs /t", "touch /x 2>&1 && echo root-writable; touch /t/x && echo tmpfs-writable");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, Not(HasSubstr("root-writable")));
  EXPECT_THAT(r.out, HasSubstr("Read-only file system"));
  EXPECT_THAT(r.out, HasSubstr("tmpfs-writable"));
}

TEST_F(DockerTest, Tmpfs) {
  Shell r = Run("--tmpfs /t", "grep \" /t \" /proc/mounts; echo data > /t/f && cat /t/f");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("tmpfs /t tmpfs"));
  EXPECT_THAT(r.out, HasSubstr("data\n"));
}

TEST_F(DockerTest, BindVolumeWritesLandOnTheHost) {
  char dir_template[] = "/tmp/runsc-docker-volume-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string host = dir_template;
  std::ofstream(host + "/existing") << "from the host\n";
  Shell r = Run(fmt::format("-v {}:/data", host),
                "cat /data/existing && echo written > /data/new && mkdir /data/dir && chown 1000:1000 /data/new "
                "&& mv /data/existing /data/dir/moved && grep \" /data \" /proc/self/mountinfo");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("from the host\n"));
  std::ifstream written(host + "/new");
  std::string line;
  std::getline(written, line);
  EXPECT_EQ(line, "written");
  struct stat st = {};
  EXPECT_EQ(stat((host + "/new").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_TRUE(std::filesystem::exists(host + "/dir/moved"));
  // Under runsc the workload's own view of the volume is read-only: the
  // writes above went through the gofer. runc gives it a writable mount.
  EXPECT_THAT(r.out, ContainsRegex(runtime_ == "runc" ? " /data rw," : " /data ro,")) << r;
  std::filesystem::remove_all(host);
}

TEST_F(DockerTest, NetworkNoneServerAndClientOnLoopback) {
  Shell r = Run("",
                "cat /proc/net/dev | tail -n +3 | cut -d: -f1; "
                "nc -l -p 8080 > /tmp/got & sleep 0.3; echo over-loopback | nc 127.0.0.1 8080; "
                "wait; cat /tmp/got");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "    lo\nover-loopback\n") << r;
}

TEST_F(DockerTest, DefaultBridgeNetworkWithoutTraffic) {
  // dockerd may run with "bridge": "none" (or have lost docker0): then there is no default network to join.
  if (access("/sys/class/net/docker0", F_OK) != 0) GTEST_SKIP() << "dockerd runs without a docker0 bridge";
  // The container gets Docker's bridge but sends nothing: it only lists its interfaces.
  Shell r = Sh(fmt::format("docker run --rm --runtime={} {} sh -c 'cat /proc/net/dev | tail -n +3 | cut -d: -f1'",
                           runtime_, kImage));
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, HasSubstr("eth0"));
  EXPECT_THAT(r.out, HasSubstr("lo"));
}

TEST_F(DockerTest, MemoryLimitIsInTheCgroup) {
  Shell r = Run("--memory 64m",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "67108864\n") << r;
}

TEST_F(DockerTest, PidsLimit) {
  Shell r = Run("--pids-limit 20", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "20\n") << r;
}

TEST_F(DockerTest, CapDropAll) {
  Shell with = Run("", "touch /tmp/f && chown 1:1 /tmp/f && echo chowned");
  EXPECT_EQ(with.code, 0) << with;
  EXPECT_EQ(with.out, "chowned\n");
  Shell without = Run("--cap-drop ALL", "touch /tmp/f && chown 1:1 /tmp/f && echo chowned");
  EXPECT_NE(without.code, 0) << without;
  EXPECT_THAT(without.err, HasSubstr("Operation not permitted"));
}

TEST_F(DockerTest, Hostname) {
  Shell r = Run("--hostname sandboxed-host", "hostname");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "sandboxed-host\n");
}

TEST_F(DockerTest, DetachedWaitAndLogs) {
  std::string name = Detached("echo logged-line; exit 7");
  Shell wait = Sh("docker wait " + name, 30s);
  EXPECT_EQ(wait.code, 0) << wait;
  EXPECT_EQ(Trim(wait.out), "7");
  Shell logs = Sh("docker logs " + name);
  EXPECT_EQ(logs.code, 0) << logs;
  EXPECT_EQ(logs.out, "logged-line\n");
}

TEST_F(DockerTest, ExecExitCodeAndOutput) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  Shell r = Sh(fmt::format("docker exec -e FROM=exec -w /tmp {} sh -c 'echo $FROM in $(pwd); exit 5'", name));
  EXPECT_EQ(r.code, 5) << r;
  EXPECT_EQ(r.out, "exec in /tmp\n");
}

TEST_F(DockerTest, StopDeliversSigterm) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  auto start = std::chrono::steady_clock::now();
  Shell stop = Sh("docker stop -t 20 " + name, 40s);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(stop.code, 0) << stop;
  EXPECT_LT(took, 10s) << "SIGTERM was not handled: docker stop waited for its SIGKILL";
  EXPECT_EQ(Inspect(name, "{{.State.ExitCode}}"), "0");
  EXPECT_THAT(Sh("docker logs " + name).out, HasSubstr("got-term"));
}

TEST_F(DockerTest, StopFallsBackToSigkill) {
  std::string name = Detached("echo ready; while true; do sleep 0.1; done");
  ASSERT_TRUE(LogsContain(name, "ready"));
  auto start = std::chrono::steady_clock::now();
  Shell stop = Sh("docker stop -t 1 " + name, 40s);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(stop.code, 0) << stop;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 10s);
  EXPECT_EQ(Inspect(name, "{{.State.ExitCode}}"), "137");
}

TEST_F(DockerTest, KillWithSignal) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  Shell kill = Sh("docker kill -s USR1 " + name);
  EXPECT_EQ(kill.code, 0) << kill;
  EXPECT_TRUE(LogsContain(name, "got-usr1")) << Sh("docker logs " + name);
  EXPECT_EQ(Inspect(name, "{{.State.Status}}"), "running");
}

TEST_F(DockerTest, Top) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  Shell top = Sh("docker top " + name);
  EXPECT_EQ(top.code, 0) << top;
  EXPECT_THAT(top.out, HasSubstr("PID"));
  EXPECT_THAT(top.out, HasSubstr("trap"));
}

TEST_F(DockerTest, PauseAndUnpause) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  Shell pause = Sh("docker pause " + name);
  ASSERT_EQ(pause.code, 0) << pause;
  EXPECT_EQ(Inspect(name, "{{.State.Status}}"), "paused");
  Shell unpause = Sh("docker unpause " + name);
  ASSERT_EQ(unpause.code, 0) << unpause;
  EXPECT_EQ(Inspect(name, "{{.State.Status}}"), "running");
  Shell exec = Sh(fmt::format("docker exec {} echo alive", name));
  EXPECT_EQ(exec.code, 0) << exec;
  EXPECT_EQ(exec.out, "alive\n");
}

TEST_F(DockerTest, StatsNoStream) {
  std::string name = Detached(kSleeper, "--network none --memory 64m");
  ASSERT_TRUE(LogsContain(name, "ready"));
  Shell stats = Sh(fmt::format("docker stats --no-stream --format '{{{{.Name}}}} {{{{.MemUsage}}}} {{{{.PIDs}}}}' {}",
                               name), 30s);
  EXPECT_EQ(stats.code, 0) << stats;
  EXPECT_THAT(stats.out, HasSubstr(name + " "));
  EXPECT_THAT(stats.out, HasSubstr("/ 64MiB"));
  EXPECT_THAT(stats.out, Not(HasSubstr(" 0B /"))) << stats;
}

TEST_F(DockerTest, UpdateMemory) {
  std::string name = Detached(kSleeper, "--network none --memory 64m");
  ASSERT_TRUE(LogsContain(name, "ready"));
  // Docker wants memory <= memory+swap (64m gave 128m of it): both change together.
  Shell update = Sh("docker update --memory 96m --memory-swap 192m " + name);
  EXPECT_EQ(update.code, 0) << update;
  Shell limit = Sh(fmt::format(
      "docker exec {} sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || "
      "cat /sys/fs/cgroup/memory.max'",
      name));
  EXPECT_EQ(limit.code, 0) << limit;
  EXPECT_EQ(limit.out, "100663296\n");
  EXPECT_EQ(Inspect(name, "{{.HostConfig.Memory}}"), "100663296");
}

TEST_F(DockerTest, RemoveForceOfARunningContainer) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  std::string id = Inspect(name, "{{.Id}}");
  int pid = std::atoi(Inspect(name, "{{.State.Pid}}").c_str());
  ASSERT_GT(pid, 0);
  Shell rm = Sh("docker rm -f " + name, 30s);
  EXPECT_EQ(rm.code, 0) << rm;
  EXPECT_NE(Sh("docker inspect " + name).code, 0);
  EXPECT_TRUE(WaitUntil([&] { return !ProcessAlive(pid); }));
  EXPECT_TRUE(WaitUntil([&] { return DirEntries(RuntimeRoot() + "/" + id).empty(); }));
}

// A TCP server on the host's 127.0.0.1, on an ephemeral port, that keeps the first line it gets.
class LoopbackServer {
 public:
  LoopbackServer() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 || listen(fd_, 4) != 0 ||
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      return;
    }
    port_ = ntohs(address.sin_port);
  }
  ~LoopbackServer() {
    if (fd_ >= 0) close(fd_);
  }
  // The port it listens on (0 if it could not listen).
  int port() const { return port_; }
  // Accepts one connection and reads up to a newline (kept) or EOF, all within `limit`; closes it.
  std::string ReceiveLine(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    auto wait = [&](int fd) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      struct pollfd pfd = {fd, POLLIN, 0};
      return left > 0ms && poll(&pfd, 1, static_cast<int>(left.count())) > 0;
    };
    if (!wait(fd_)) return "";
    int connection = accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (connection < 0) return "";
    std::string line;
    char c;
    while (line.find('\n') == std::string::npos && wait(connection) && read(connection, &c, 1) == 1) line += c;
    close(connection);
    return line;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST_F(DockerTest, NetworkHostReachesAServerOnTheHostsLoopback) {
  LoopbackServer server;
  ASSERT_GT(server.port(), 0) << strerror(errno);
  // Traffic goes to 127.0.0.1 only: with --network host that is the host's loopback.
  auto client = std::async(std::launch::async, [&] {
    return Sh(fmt::format("docker run --rm --runtime={} --network host {} sh -c "
                          "'echo via-host-network-$(hostname) | nc 127.0.0.1 {}'",
                          runtime_, kImage, server.port()));
  });
  std::string line = server.ReceiveLine(60s);
  Shell r = client.get();
  EXPECT_EQ(r.code, 0) << r;
  std::string hostname = Trim(Sh("hostname").out);
  EXPECT_EQ(line, "via-host-network-" + hostname + "\n") << r;
}

TEST_F(DockerTest, CpusSetsTheCfsQuota) {
  Shell r = Run("--cpus 1.5",
                "cd /sys/fs/cgroup; cat cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us 2>/dev/null || cat cpu.max");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, AnyOf(Eq("150000\n100000\n"), Eq("150000 100000\n"))) << r;
}

// The virtual /proc under Docker's own flags: free and nproc show the limits (runc: the host).
TEST_F(DockerTest, MemoryAndCpusShowInFreeAndNproc) {
  if (!IsBuiltRunsc(RuntimeName())) GTEST_SKIP() << "runc shows the host's /proc files";
  if (sysconf(_SC_NPROCESSORS_ONLN) < 2) GTEST_SKIP() << "needs a host with 2 CPUs or more";
  Shell r = Run("--memory 256m --cpus 0.5", "set -- $(free -m | grep Mem:); echo $2; nproc; grep -c ^processor /proc/cpuinfo");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "256\n1\n1\n") << r;
}

TEST_F(DockerTest, SeccompProfileDeniesWithEperm) {
  std::string profile = fmt::format("/tmp/runsc-docker-seccomp-{}.json", getpid());
  // SCMP_ACT_ERRNO without errnoRet: Docker's and runc's default errno, EPERM.
  std::ofstream(profile) << R"({"defaultAction": "SCMP_ACT_ALLOW",
    "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]})";
  std::string script = "mkdir /tmp/d; echo mkdir=$?; touch /tmp/f && echo touch-works";
  Shell denied = Run("--security-opt seccomp=" + profile, script);
  std::filesystem::remove(profile);
  EXPECT_EQ(denied.code, 0) << denied;
  EXPECT_EQ(denied.out, "mkdir=1\ntouch-works\n") << denied;
  EXPECT_THAT(denied.err, HasSubstr("Operation not permitted")) << denied;
  Shell allowed = Run("", script);  // the same without the profile: mkdir works
  EXPECT_EQ(allowed.out, "mkdir=0\ntouch-works\n") << allowed;
}

TEST_F(DockerTest, InitIsPidOneAndTheWorkloadItsChild) {
  Shell r = Run("--init", "tr \"\\0\" \" \" < /proc/1/cmdline; echo; echo pid=$$ ppid=$PPID; cat /proc/1/comm");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_THAT(r.out, StartsWith("/sbin/docker-init -- sh -c ")) << r;
  EXPECT_THAT(r.out, ContainsRegex("\npid=([02-9]|[1-9][0-9]+) ppid=1\n")) << r;
  EXPECT_THAT(r.out, EndsWith("\ndocker-init\n")) << r;
  Shell without = Run("", "echo pid=$$");
  EXPECT_EQ(without.out, "pid=1\n") << without;
}

TEST_F(DockerTest, RestartRunsTheContainerAgain) {
  std::string name = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(name, "ready"));
  std::string started = Inspect(name, "{{.State.StartedAt}}");
  std::string pid = Inspect(name, "{{.State.Pid}}");
  Shell restart = Sh("docker restart -t 10 " + name, 60s);
  EXPECT_EQ(restart.code, 0) << restart;
  EXPECT_EQ(Inspect(name, "{{.State.Status}}"), "running");
  EXPECT_NE(Inspect(name, "{{.State.StartedAt}}"), started);
  EXPECT_NE(Inspect(name, "{{.State.Pid}}"), pid);
  EXPECT_TRUE(LogsContain(name, "got-term")) << Sh("docker logs " + name);  // the first run's SIGTERM
  Shell exec = Sh(fmt::format("docker exec {} sh -c 'echo alive; cat /proc/1/cmdline | head -c 2'", name));
  EXPECT_EQ(exec.code, 0) << exec;
  EXPECT_EQ(exec.out, "alive\nsh") << exec;
}

// Pids of the processes whose cgroup (in any hierarchy) is named by `id`.
std::vector<int> ProcessesInCgroupOf(const std::string& id) {
  std::vector<int> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (ReadFile(entry.path().string() + "/cgroup").find(id) != std::string::npos) pids.push_back(std::stoi(name));
  }
  return pids;
}

// Everything the container `id` could leave on the host; `layer` is its overlay dir
// (/var/lib/docker/overlay2/<hash>), whose mounts are named by the layer, not by the id.
std::vector<std::string> Leftovers(const std::string& id, const std::string& layer) {
  std::vector<std::string> found;
  for (const std::string& dir : {RuntimeRoot() + "/" + id, DockerExecRoot() + "/containerd/" + id,
                                 "/run/containerd/io.containerd.runtime.v2.task/moby/" + id}) {
    if (std::filesystem::exists(dir)) found.push_back("state dir " + dir);
  }
  for (const auto& dir : CgroupDirs("/docker/" + id)) found.push_back("cgroup " + dir);
  for (int pid : ProcessesWithArgPrefix(id)) found.push_back(fmt::format("process {} with {} in its arguments", pid, id));
  for (int pid : ProcessesInCgroupOf(id)) found.push_back(fmt::format("process {} in the cgroup of {}", pid, id));
  std::istringstream mounts(ReadFile("/proc/self/mountinfo"));
  for (std::string line; std::getline(mounts, line);) {
    if (line.find(id) != std::string::npos || line.find(layer + "/") != std::string::npos) {
      found.push_back("mount " + line);
    }
  }
  if (Sh("docker inspect " + id).code == 0) found.push_back("container " + id);
  return found;
}

TEST_F(DockerTest, ManyRunsLeaveNothingBehind) {
  // The probes see each kind of leftover on a container that is still running.
  std::string running = Detached(kSleeper);
  ASSERT_TRUE(LogsContain(running, "ready"));
  std::string upper = Inspect(running, "{{.GraphDriver.Data.UpperDir}}");
  ASSERT_THAT(upper, EndsWith("/diff"));
  std::string probed = ::testing::PrintToString(
      Leftovers(Inspect(running, "{{.Id}}"), upper.substr(0, upper.size() - 5)));
  for (const char* kind : {"\"state dir ", "\"cgroup ", "\"process ", "\"mount ", "\"container "}) {
    EXPECT_THAT(probed, HasSubstr(kind));
  }
  Sh("docker rm -f " + running);

  constexpr int kSequential = 50, kParallel = 10;
  std::string dir = fmt::format("/tmp/runsc-docker-cids-{}", getpid());
  std::filesystem::create_directories(dir);
  // Each run prints its overlay upper dir, so the test knows the layer's mounts.
  auto run = [&](int i) {
    return Sh(fmt::format("docker run --rm --runtime={} --network none --cidfile {}/{} {} sh -c "
                          "'echo run-{}; grep -o \"upperdir=[^,]*\" /proc/self/mountinfo | head -n 1'",
                          runtime_, dir, i, kImage, i),
              120s);
  };
  std::vector<Shell> results;
  for (int i = 0; i < kSequential; ++i) {
    results.push_back(run(i));
    ASSERT_EQ(results.back().code, 0) << "run " << i << ": " << results.back();
  }
  std::vector<std::future<Shell>> parallel;
  for (int i = kSequential; i < kSequential + kParallel; ++i) {
    parallel.push_back(std::async(std::launch::async, run, i));
  }
  for (auto& future : parallel) results.push_back(future.get());
  for (int i = 0; i < kSequential + kParallel; ++i) {
    const Shell& r = results[i];
    EXPECT_EQ(r.code, 0) << "run " << i << ": " << r;
    std::smatch match;
    static const std::regex kOutput("run-([0-9]+)\nupperdir=(/[^\n]+)/diff\n");
    if (!std::regex_match(r.out, match, kOutput) || match[1] != std::to_string(i)) {
      ADD_FAILURE() << "run " << i << ": " << r;
      continue;
    }
    std::string id = Trim(ReadFile(fmt::format("{}/{}", dir, i)));
    ASSERT_EQ(id.size(), 64u) << "cidfile " << i;
    std::string layer = match[2];
    EXPECT_TRUE(WaitUntil([&] { return Leftovers(id, layer).empty(); }, 10s))
        << "run " << i << ": " << ::testing::PrintToString(Leftovers(id, layer));
  }
  std::filesystem::remove_all(dir);
}

// containerd directly: `ctr run --runtime io.containerd.runc.v2 --runc-binary <runtime>`, in a
// namespace of our own, with the image moved over from Docker (`docker save | ctr image import`).
class ContainerdTest : public DockerTest {
 protected:
  // containerd's runc shim keeps state in /run/containerd/runc/<namespace>: no Docker gate.
  void SetUp() override {
    std::string reason = PrepareDocker();
    if (!reason.empty()) GTEST_SKIP() << reason;
    runtime_ = RuntimeName();
  }
  void TearDown() override {
    if (!wrapper_dir_.empty()) std::filesystem::remove_all(wrapper_dir_);
    DockerTest::TearDown();
  }

  // The built runsc for --runc-binary: ctr passes no runtime arguments, so under
  // $RUNSC_TEST_PLATFORM or $RUNSC_TEST_DIRECTFS=false a wrapper script adds RuntimeFlags()
  // in front of the shim's, as Docker's runtimeArgs do for runsc-<p> and runsc-strict.
  std::string RuntimeCommand() {
    const std::vector<std::string> flags = RuntimeFlags();
    if (flags.empty()) return RUNSC_DOCKER_TEST_RUNSC;
    char dir_template[] = "/tmp/runsc-ctr-wrapper-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) return "";
    wrapper_dir_ = dir_template;
    std::string wrapper = wrapper_dir_ + "/" + runtime_;
    std::ofstream(wrapper) << fmt::format("#!/bin/sh\nexec '{}' '{}' \"$@\"\n", RUNSC_DOCKER_TEST_RUNSC,
                                          absl::StrJoin(flags, "' '"));
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
    return wrapper;
  }

  std::string wrapper_dir_;
};

TEST_F(ContainerdTest, CtrRunExecKill) {
  if (Sh("command -v ctr && ctr version").code != 0) GTEST_SKIP() << "ctr or containerd is not available";
  std::string ctr = "ctr -n runsc-test";
  std::string ref = fmt::format("docker.io/library/{}:latest", kImage);
  if (Sh(fmt::format("{} image ls -q | grep -qx {}", ctr, ref)).code != 0) {
    Shell import = Sh(fmt::format("docker save {} | {} image import -", kImage, ctr), 120s);
    ASSERT_EQ(import.code, 0) << import;
  }
  std::string binary = IsBuiltRunsc(runtime_) ? RuntimeCommand() : Trim(Sh("command -v " + runtime_).out);
  std::string run = fmt::format("{} run --runtime io.containerd.runc.v2 --runc-binary {}", ctr, binary);
  std::string id = fmt::format("runsc-test-ctr-{}", getpid());

  Shell once = Sh(fmt::format("{} --rm {} {}-a sh -c 'echo from-ctr; exit 3'", run, ref, id));
  EXPECT_EQ(once.code, 3) << once;
  EXPECT_EQ(once.out, "from-ctr\n");

  Shell started = Sh(fmt::format("{} -d {} {} sh -c '{}'", run, ref, id, kSleeper));
  ASSERT_EQ(started.code, 0) << started;
  Shell exec = Sh(fmt::format("{} task exec --exec-id e1 {} sh -c 'echo in-exec; exit 4'", ctr, id));
  EXPECT_EQ(exec.code, 4) << exec;
  EXPECT_EQ(exec.out, "in-exec\n");
  Shell kill = Sh(fmt::format("{} task kill -s SIGTERM {}", ctr, id));
  EXPECT_EQ(kill.code, 0) << kill;
  EXPECT_TRUE(WaitUntil([&] { return Sh(fmt::format("{} task ls", ctr)).out.find("STOPPED") != std::string::npos; }))
      << Sh(fmt::format("{} task ls", ctr));
  Shell removed = Sh(fmt::format("{} task rm {} && {} container rm {}", ctr, id, ctr, id));
  EXPECT_EQ(removed.code, 0) << removed;
  // Nothing of the container is left in containerd's state root. runsc's
  // compiled-filter cache (runsc/filter_cache.h: "@filter-<hash>", a name no
  // container id can take) is the root's own, not the container's.
  std::vector<std::string> left;
  for (const std::string& entry : DirEntries("/run/containerd/runc/runsc-test")) {
    if (!entry.starts_with("@filter-")) left.push_back(entry);
  }
  EXPECT_TRUE(left.empty()) << fmt::format("{}", fmt::join(left, " "));
  Sh(fmt::format("{} task rm -f {} ; {} container rm {}", ctr, id, ctr, id));  // if a step above failed
}

}  // namespace
}  // namespace runsc::testing
