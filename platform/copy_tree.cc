#include "platform/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "fmt/format.h"
#include "platform/errors.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"

namespace platform {
namespace {

absl::Status CopyEntry(int from_dir, int to_dir, const char* name, const struct stat& st);

// Owner, mode and times of `name` in `to_dir` from `st` (the mode last:
// chown clears set-id bits).
absl::Status CopyAttributes(int to_dir, const char* name, const struct stat& st) {
  if (fchownat(to_dir, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0) return LastError("chown");
  if (!S_ISLNK(st.st_mode) && fchmodat(to_dir, name, st.st_mode & 07777, 0) != 0) return LastError("chmod");
  const struct timespec times[2] = {st.st_atim, st.st_mtim};
  if (utimensat(to_dir, name, times, AT_SYMLINK_NOFOLLOW) != 0) return LastError("utimensat");
  return absl::OkStatus();
}

absl::Status CopyFile(int from_dir, int to_dir, const char* name, const struct stat& st) {
  UniqueFd in(openat(from_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid()) return LastError("open");
  UniqueFd out(openat(to_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid()) return LastError("create");
  for (off_t left = st.st_size; left > 0;) {
    ssize_t sent = sendfile(out.get(), in.get(), nullptr, static_cast<size_t>(left));
    if (sent < 0) return LastError("copy");
    if (sent == 0) break;  // the file shrank meanwhile
    left -= sent;
  }
  return absl::OkStatus();
}

absl::Status CopyDirectory(int from_dir, int to_dir, const char* name) {
  if (mkdirat(to_dir, name, 0700) != 0) return LastError("mkdir");
  UniqueFd from(openat(from_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd to(openat(to_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!from.valid() || !to.valid()) return LastError("open");
  return CopyTree(from.get(), to.get());
}

absl::Status CopyEntry(int from_dir, int to_dir, const char* name, const struct stat& st) {
  if (S_ISREG(st.st_mode)) {
    RETURN_IF_ERROR(CopyFile(from_dir, to_dir, name, st));
  } else if (S_ISDIR(st.st_mode)) {
    RETURN_IF_ERROR(CopyDirectory(from_dir, to_dir, name));
  } else if (S_ISLNK(st.st_mode)) {
    char target[PATH_MAX];
    ssize_t length = readlinkat(from_dir, name, target, sizeof(target) - 1);
    if (length < 0) return LastError("readlink");
    target[length] = '\0';
    if (symlinkat(target, to_dir, name) != 0) return LastError("symlink");
  } else if (S_ISFIFO(st.st_mode)) {
    if (mkfifoat(to_dir, name, 0600) != 0) return LastError("mkfifo");
  } else {
    return absl::OkStatus();  // devices and sockets are not copied
  }
  return CopyAttributes(to_dir, name, st);
}

}  // namespace

absl::Status CopyTree(int from_dir, int to_dir) {
  int listing = fcntl(from_dir, F_DUPFD_CLOEXEC, 0);
  if (listing < 0) return LastError("dup");
  DIR* dir = fdopendir(listing);
  if (dir == nullptr) {
    close(listing);
    return LastError("fdopendir");
  }
  absl::Status status;
  while (status.ok()) {
    errno = 0;
    dirent* entry = readdir(dir);
    if (entry == nullptr) {
      if (errno != 0) status = LastError("readdir");
      break;
    }
    std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat st = {};
    if (fstatat(from_dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      status = LastError(fmt::format("stat {}", name));
      break;
    }
    status = Annotate(CopyEntry(from_dir, to_dir, name.c_str(), st), fmt::format("copying {}", name));
  }
  closedir(dir);
  return status;
}

}  // namespace platform
