#include "platform/cgroup_oom.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "fmt/format.h"
#include "platform/errors.h"

namespace platform {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

}  // namespace

uint64_t OomCountFromEvents(const std::string& text) {
  std::istringstream lines(text);
  std::string key;
  uint64_t value, count = 0;
  while (lines >> key >> value) {
    if (key == "oom" || key == "oom_kill") count = std::max(count, value);
  }
  return count;
}

absl::StatusOr<OomNotifier> OomNotifier::Open(const Cgroup& cgroup) {
  std::string dir = cgroup.ControllerDir(cgroup.pure_v2() ? "" : "memory");
  if (dir.empty()) return absl::FailedPreconditionError("this host has no memory cgroup controller");
  OomNotifier notifier;
  if (cgroup.pure_v2()) {
    notifier.events_path_ = dir + "/memory.events";
    notifier.fd_.reset(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!notifier.fd_.valid()) return LastError("inotify_init1");
    if (inotify_add_watch(notifier.fd_.get(), notifier.events_path_.c_str(), IN_MODIFY) < 0) {
      return LastError(fmt::format("watching {}", notifier.events_path_));
    }
    notifier.last_count_ = OomCountFromEvents(ReadAll(notifier.events_path_));
    return notifier;
  }
  notifier.fd_.reset(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!notifier.fd_.valid()) return LastError("eventfd");
  std::string control = dir + "/memory.oom_control";
  notifier.control_.reset(open(control.c_str(), O_RDONLY | O_CLOEXEC));
  if (!notifier.control_.valid()) return LastError(fmt::format("opening {}", control));
  std::string registration = fmt::format("{} {}", notifier.fd_.get(), notifier.control_.get());
  int events = open((dir + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC);
  if (events < 0) return LastError(fmt::format("opening {}/cgroup.event_control", dir));
  ssize_t written = write(events, registration.data(), registration.size());
  int saved = errno;
  close(events);
  if (written < 0) return ErrnoError(saved, fmt::format("registering for OOM events in {}", dir));
  return notifier;
}

uint64_t OomNotifier::Consume() {
  if (events_path_.empty()) {
    uint64_t count = 0;
    return read(fd_.get(), &count, sizeof(count)) == sizeof(count) ? count : 0;
  }
  char buffer[4096];
  while (read(fd_.get(), buffer, sizeof(buffer)) > 0) {
  }
  uint64_t count = OomCountFromEvents(ReadAll(events_path_));
  uint64_t fresh = count > last_count_ ? count - last_count_ : 0;
  last_count_ = count;
  return fresh;
}

}  // namespace platform
