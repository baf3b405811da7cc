// Docker integration tests: `docker run --runtime=$RUNSC_DOCKER_RUNTIME` (default "runsc", the
// built runsc registered with `runsc install`; "runc" checks that each expectation is Docker's).
// They need a running dockerd (scripts/docker-test starts one) and skip if there is none.
// Network rule: traffic goes only to loopback; containers that get Docker's bridge send nothing.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/leftovers.h"

namespace runsc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr char kImage[] = "runsc-test-busybox";

// The outcome of one shell command.
struct Shell {
  int code = -1;  // exit status, or -1 if killed (also on timeout)
  bool timed_out = false;
  std::string out, err;
};

std::ostream& operator<<(std::ostream& os, const Shell& r) {
  return os << "exit " << r.code << (r.timed_out ? " (timed out)" : "") << "\n--- stdout:\n"
            << r.out << "--- stderr:\n"
            << r.err;
}

// Runs `command` with /bin/sh -c in its own process group; kills the group after `timeout`.
Shell Sh(const std::string& command, std::chrono::milliseconds timeout = 60s) {
  Shell result;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) return result;
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  struct pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) {
      result.timed_out = true;
      kill(-pid, SIGKILL);
      break;
    }
    if (poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[4096];
      ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, n);
      } else {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& fd : fds)
    if (fd.fd >= 0) close(fd.fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && !result.timed_out) result.code = WEXITSTATUS(status);
  return result;
}

std::string Trim(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The runtime under test: $RUNSC_DOCKER_RUNTIME, default "runsc".
std::string RuntimeName() {
  const char* name = getenv("RUNSC_DOCKER_RUNTIME");
  return name && *name ? name : "runsc";
}

// dockerd's --exec-root (default /var/run/docker), from its command line.
std::string DockerExecRoot() {
  std::string pid = Trim(Sh("pidof dockerd").out);
  std::string cmdline = ReadFile("/proc/" + pid.substr(0, pid.find(' ')) + "/cmdline");
  std::vector<std::string> args;
  for (size_t start = 0, end; start < cmdline.size(); start = end + 1) {
    end = cmdline.find('\0', start);
    if (end == std::string::npos) end = cmdline.size();
    args.push_back(cmdline.substr(start, end - start));
  }
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--exec-root=", 0) == 0) return args[i].substr(12);
    if (args[i] == "--exec-root" && i + 1 < args.size()) return args[i + 1];
  }
  return "/var/run/docker";
}

// The state root dockerd 20.10 gives the runc shim, and so the runtime's --root, for every
// runtime (seen in `ps`: runsc --root /var/run/docker/runtime-runc/moby ...).
std::string RuntimeRoot() {
  static const std::string root = DockerExecRoot() + "/runtime-runc/moby";
  return root;
}

// Why the suite cannot run here ("" if it can); sets up the image and the runtime once per process.
std::string PrepareDocker() {
  static const std::string reason = []() -> std::string {
    if (Sh("command -v docker").code != 0) return "docker is not installed (scripts/docker-test installs it)";
    Shell info = Sh("docker info --format '{{json .Runtimes}}'", 30s);
    if (info.code != 0) return "dockerd is not reachable (scripts/docker-test starts it): " + info.err;
    if (Sh(fmt::format("docker image inspect {} >/dev/null 2>&1", kImage)).code != 0) {
      Shell import = Sh(fmt::format("tar -C '{}' -c . | docker import - {}", RUNSC_DOCKER_TEST_ROOTFS, kImage), 120s);
      if (import.code != 0) return "docker import failed: " + import.err;
    }
    std::string name = RuntimeName();
    if (name != "runsc") {
      return info.out.find("\"" + name + "\"") != std::string::npos || name == "runc"
                 ? ""
                 : "dockerd has no runtime " + name;
    }
    std::string binary = RUNSC_DOCKER_TEST_RUNSC;
    std::string want = fmt::format("\"runsc\":{{\"path\":\"{}\"", binary);
    if (info.out.find(want) != std::string::npos) return "";
    Shell install = Sh(fmt::format("'{}' install --runtime runsc", binary));
    if (install.code != 0) return "runsc install failed: " + install.err;
    // dockerd reloads "runtimes" on SIGHUP (systemctl reload docker sends exactly that).
    if (Sh("systemctl reload docker 2>/dev/null").code != 0) Sh("kill -HUP $(pidof dockerd)");
    for (int i = 0; i < 100; ++i) {
      if (Sh("docker info --format '{{json .Runtimes}}'").out.find(want) != std::string::npos) return "";
      std::this_thread::sleep_for(100ms);
    }
    return "dockerd did not pick up the runsc runtime after a reload: " + Sh("docker info --format '{{json .Runtimes}}'").out;
  }();
  return reason;
}

class DockerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string reason = PrepareDocker();
    if (!reason.empty()) GTEST_SKIP() << reason;
    runtime_ = RuntimeName();
  }
  void TearDown() override {
    for (const auto& name : names_) Sh(fmt::format("docker rm -f {} >/dev/null 2>&1", name));
  }

  // A container name owned by this test (removed in TearDown).
  std::string NewName() {
    names_.push_back(fmt::format("runsc-test-{}-{}", getpid(), names_.size()));
    return names_.back();
  }
  // `docker run --rm --runtime=R --network none <flags> IMAGE sh -c <script>`.
  Shell Run(const std::string& flags, const std::string& script, std::chrono::milliseconds timeout = 60s) {
    return Sh(fmt::format("docker run --rm --runtime={} --network none {} {} sh -c '{}'", runtime_, flags, kImage,
                          script),
              timeout);
  }
  // Starts a detached container running `script`; returns its name.
  std::string Detached(const std::string& script, const std::string& flags = "--network none") {
    std::string name = NewName();
    Shell started =
        Sh(fmt::format("docker run -d --name {} --runtime={} {} {} sh -c '{}'", name, runtime_, flags, kImage, script));
    EXPECT_EQ(started.code, 0) << started;
    return name;
  }
  std::string Inspect(const std::string& name, const std::string& format) {
    return Trim(Sh(fmt::format("docker inspect --format '{}' {}", format, name)).out);
  }
  // Polls `docker logs` until it contains `text`.
  bool LogsContain(const std::string& name, const std::string& text, std::chrono::milliseconds limit = 10s) {
    return WaitUntil([&] { return Sh("docker logs " + name + " 2>&1").out.find(text) != std::string::npos; }, limit);
  }

  std::string runtime_;
  std::vector<std::string> names_;
};

// A shell loop that traps SIGTERM (a pid 1 without a handler ignores it) and reports signals.
constexpr char kSleeper[] =
    "trap \"echo got-term; exit 0\" TERM; trap \"echo got-usr1\" USR1; echo ready; "
    "while true; do sleep 0.1; done";

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

TEST_F(DockerTest, NetworkNoneServerAndClientOnLoopback) {
  Shell r = Run("",
                "cat /proc/net/dev | tail -n +3 | cut -d: -f1; "
                "nc -l -p 8080 > /tmp/got & sleep 0.3; echo over-loopback | nc 127.0.0.1 8080; "
                "wait; cat /tmp/got");
  EXPECT_EQ(r.code, 0) << r;
  EXPECT_EQ(r.out, "    lo\nover-loopback\n") << r;
}

TEST_F(DockerTest, DefaultBridgeNetworkWithoutTraffic) {
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

// Everything a container of runtime `runtime` with id `id` could leave on the host.
std::vector<std::string> Leftovers(const std::string& runtime, const std::string& id) {
  std::vector<std::string> found;
  if (std::filesystem::exists(RuntimeRoot() + "/" + id)) found.push_back("state dir of " + id);
  if (std::filesystem::exists("/run/containerd/io.containerd.runtime.v2.task/moby/" + id)) {
    found.push_back("containerd task dir of " + id);
  }
  for (const auto& dir : CgroupDirs("docker/" + id)) found.push_back("cgroup " + dir);
  for (int pid : ProcessesWithArgPrefix(id)) found.push_back(fmt::format("process {} of {}", pid, id));
  for (const auto& line : MountsUnder(RuntimeRoot() + "/" + id)) found.push_back("mount " + line);
  (void)runtime;
  return found;
}

TEST_F(DockerTest, ManyRunsLeaveNothingBehind) {
  std::string dir = fmt::format("/tmp/runsc-docker-cids-{}", getpid());
  std::filesystem::create_directories(dir);
  auto run = [&](int i) {
    return Sh(fmt::format("docker run --rm --runtime={} --network none --cidfile {}/{} {} sh -c 'echo run-{}'",
                          runtime_, dir, i, kImage, i),
              120s);
  };
  for (int i = 0; i < 20; ++i) {
    Shell r = run(i);
    ASSERT_EQ(r.code, 0) << "run " << i << ": " << r;
    ASSERT_EQ(r.out, fmt::format("run-{}\n", i));
  }
  std::vector<std::future<Shell>> parallel;
  for (int i = 20; i < 25; ++i) parallel.push_back(std::async(std::launch::async, run, i));
  for (int i = 20; i < 25; ++i) {
    Shell r = parallel[i - 20].get();
    EXPECT_EQ(r.code, 0) << "run " << i << ": " << r;
    EXPECT_EQ(r.out, fmt::format("run-{}\n", i));
  }
  for (int i = 0; i < 25; ++i) {
    std::string id = Trim(ReadFile(fmt::format("{}/{}", dir, i)));
    ASSERT_EQ(id.size(), 64u) << "cidfile " << i;
    EXPECT_TRUE(WaitUntil([&] { return Leftovers(runtime_, id).empty(); }, 10s))
        << ::testing::PrintToString(Leftovers(runtime_, id));
    EXPECT_NE(Sh("docker inspect " + id).code, 0) << "container " << id << " still exists";
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
};

TEST_F(ContainerdTest, CtrRunExecKill) {
  if (Sh("command -v ctr && ctr version").code != 0) GTEST_SKIP() << "ctr or containerd is not available";
  std::string ctr = "ctr -n runsc-test";
  std::string ref = fmt::format("docker.io/library/{}:latest", kImage);
  if (Sh(fmt::format("{} image ls -q | grep -qx {}", ctr, ref)).code != 0) {
    Shell import = Sh(fmt::format("docker save {} | {} image import -", kImage, ctr), 120s);
    ASSERT_EQ(import.code, 0) << import;
  }
  std::string binary = runtime_ == "runsc" ? RUNSC_DOCKER_TEST_RUNSC : Trim(Sh("command -v " + runtime_).out);
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
  EXPECT_TRUE(DirEntries("/run/containerd/runc/runsc-test").empty());
  Sh(fmt::format("{} task rm -f {} ; {} container rm {}", ctr, id, ctr, id));  // if a step above failed
}

}  // namespace
}  // namespace runsc::testing
