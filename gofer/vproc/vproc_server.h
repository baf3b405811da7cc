// The vproc FUSE server: a read-only filesystem served on a /dev/fuse fd
// inside the gofer, in one of two shapes:
// - a root directory holding every file of AllFiles() (vproc_files.h), to
//   be bind-mounted file by file (LXCFS's mechanism; used by the tests);
// - a single file as the root (Options::root_file): one connection per
//   file, mounted straight onto its target (vproc_mount.h). The container
//   uses this shape: attaching it needs no request to the server (a bind of
//   dir/meminfo would LOOKUP, and the gofer serves only once it is set up).
//
// Semantics (like procfs seq files): a file's text is generated at OPEN and
// kept with the open handle, so one reader sees one consistent snapshot
// across short reads and seeks; reads past the end return 0 bytes. Files
// are opened with FOPEN_DIRECT_IO, so every read reaches us and readers
// read until EOF (cat, free, nproc, Python, glibc's get_nprocs all do);
// their size is a hint for splice (see kMinSizeHint in the .cc). Opening
// for writing is EACCES.
//
// One thread: requests are cheap (an OPEN reads a few small cgroup/proc
// files, a READ copies from memory), the kernel queues concurrent readers'
// requests on the fd, and a single loop needs no locks around the handle
// table. The only blocking is the reads of procfs/cgroupfs, which do not
// block indefinitely, and which can never reach our own mount (see
// vproc_source.h). Syscalls used while serving: read, write, openat2, close,
// clock_gettime (all in the gofer's allowlist, gofer_filter.cc).
#ifndef RUNSC_GOFER_VPROC_VPROC_SERVER_H_
#define RUNSC_GOFER_VPROC_VPROC_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gofer/vproc/vproc_files.h"
#include "gofer/vproc/vproc_source.h"

namespace gofer::vproc {

struct Options {
  // The text of `file` at this moment; called at each OPEN on the serving
  // thread. An error makes the open fail with EIO. Required.
  std::function<absl::StatusOr<std::string>(VFile)> generate;
  // Owner reported for the root and the files (in the mounter's user namespace).
  uint32_t uid = 0, gid = 0;
  // Set: the root is this file (mounted with rootmode=100000), not a
  // directory of every file.
  std::optional<VFile> root_file;
  // Open handles at once (each holds its snapshot); beyond: ENFILE.
  size_t max_open_handles = 4096;
};

// Options::generate backed by `source` (which must outlive the server).
std::function<absl::StatusOr<std::string>(VFile)> GenerateFrom(const MachineSource& source);

// The data argument of mount(2) for a "fuse" mount of the server on
// `fuse_fd`: "fd=N,rootmode=40000,user_id=U,group_id=G,allow_other,
// default_permissions" (allow_other: every uid in the container may read
// the files; default_permissions: the kernel checks the modes, asking for
// fresh attributes at each open).
std::string MountData(int fuse_fd, uint32_t uid, uint32_t gid);
// The same for a single-file root (Options::root_file): rootmode=100000.
std::string FileMountData(int fuse_fd, uint32_t uid, uint32_t gid);

// Serves requests on `fuse_fd` (an open /dev/fuse, mounted or about to be)
// until the connection ends (unmounted or aborted: the kernel answers the
// next read with ENODEV), then returns OK. A malformed request gets EIO, an
// unknown one ENOSYS; neither ends the loop. An unexpected error of read or
// write on the fd is returned. Does not close `fuse_fd`.
absl::Status Serve(int fuse_fd, const Options& options);

// What serving one request did: answered one (or dropped a malformed or
// interrupted one), found none waiting (an O_NONBLOCK fd), or found the
// connection ended.
enum class ServeStep { kServed, kIdle, kEnded };

struct ConnectionState;

// One connection served from the caller's own loop (several on one thread,
// polled for POLLIN): `fuse_fd` must be O_NONBLOCK, and is not closed.
// Not thread-safe.
class Connection {
 public:
  Connection(int fuse_fd, Options options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  // Answers every request waiting on the fd; false once the connection has
  // ended (unmounted or aborted), an error as Serve's.
  absl::StatusOr<bool> ServeReady();

 private:
  std::unique_ptr<ConnectionState> state_;
};

}  // namespace gofer::vproc

#endif  // RUNSC_GOFER_VPROC_VPROC_SERVER_H_
