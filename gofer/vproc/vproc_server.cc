// The vproc FUSE request loop and handlers (see vproc_server.h).
#include "gofer/vproc/vproc_server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "fmt/format.h"
#include "gofer/vproc/fuse_wire.h"
#include "platform/errors.h"
#include "platform/status_macros.h"

namespace gofer::vproc {
namespace {

constexpr uint64_t kRootId = FUSE_ROOT_ID;  // 1; file i has inode i + 2
constexpr uint64_t kValidSeconds = 3600;    // the tree never changes
constexpr uint64_t kMinSizeHint = 65536;

// Why files report a size (procfs reports 0): kernels before the fix
// "fuse: use copy_splice_read() for FOPEN_DIRECT_IO" (6.18 here) serve
// splice/sendfile of a direct-I/O file from the page cache, bounded by the
// inode's size, so with size 0 busybox's cat (sendfile) prints nothing.
// A file reports twice its last snapshot's length (at least 64 KiB): the
// page-cache read then gets the whole text, its short read trims the inode
// size to the text, and since attributes never stay valid (attr_valid 0)
// and the mount checks permissions itself (default_permissions), the next
// open asks GETATTR again and gets the hint back. read(2) is unaffected
// (direct I/O, until EOF).

using Reply = std::optional<std::vector<uint8_t>>;  // nullopt: no reply

// The calling thread's read buffer: a thread serves one request at a time,
// whatever number of connections it polls (the gofer's loop serves ten), and
// a request is decoded and answered before the next read. Left
// uninitialised: the kernel writes only the request (a few hundred bytes for
// these read-only files), so an idle gofer keeps a page or two of it
// resident, not 64 KiB per connection.
uint8_t* ThreadReadBuffer() {
  thread_local const std::unique_ptr<uint8_t[]> buffer = std::make_unique_for_overwrite<uint8_t[]>(kReadBufferSize);
  return buffer.get();
}

const VFileInfo* FileAt(uint64_t index) {
  const auto& files = AllFiles();
  return index < files.size() ? &files[index] : nullptr;
}

class Session {
 public:
  Session(int fd, const Options& options) : fd_(fd), options_(options) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    mount_time_ = static_cast<uint64_t>(now.tv_sec);
  }

  absl::Status Run();
  // Reads and answers one request (see ServeStep).
  absl::StatusOr<ServeStep> ServeOne();

 private:
  // The file `nodeid` is (nullptr: none, or the root directory).
  const VFileInfo* FileOf(uint64_t nodeid) const {
    if (options_.root_file) return nodeid == kRootId ? FileAt(static_cast<size_t>(*options_.root_file)) : nullptr;
    return nodeid >= 2 ? FileAt(nodeid - 2) : nullptr;
  }
  // The root directory exists only in the directory shape.
  bool IsRootDir(uint64_t nodeid) const { return nodeid == kRootId && !options_.root_file; }
  Reply Dispatch(const Request& request);
  Reply Init(const Request& request, const InitIn& in);
  Reply Lookup(const Request& request, const LookupIn& in);
  Reply Getattr(const Request& request, const GetattrIn& in);
  Reply Open(const Request& request, const OpenIn& in);
  Reply Read(const Request& request, const ReadIn& in);
  Reply Release(const Request& request, const ReleaseIn& in);
  Reply Opendir(const Request& request);
  Reply Readdir(const Request& request, const ReadIn& in);
  Reply Statfs(const Request& request);
  fuse_attr Attr(uint64_t nodeid);
  // What a file reports as its size (see kMinSizeHint); generates the text
  // once when no snapshot was taken yet.
  uint64_t SizeHint(VFile file);
  // Writes one reply; false when the connection is gone (ENODEV).
  absl::StatusOr<bool> Send(const std::vector<uint8_t>& reply);

  const int fd_;
  const Options& options_;
  uint64_t mount_time_ = 0;
  uint64_t next_fh_ = 1;
  std::map<uint64_t, std::string> handles_;  // fh -> the snapshot taken at OPEN
  std::map<VFile, size_t> last_size_;         // each file's last snapshot length
};

absl::Status Session::Run() {
  for (;;) {
    absl::StatusOr<ServeStep> step = ServeOne();
    if (!step.ok()) return step.status();
    if (*step == ServeStep::kEnded) return absl::OkStatus();
  }
}

absl::StatusOr<ServeStep> Session::ServeOne() {
  uint8_t* buffer = ThreadReadBuffer();
  ssize_t n = read(fd_, buffer, kReadBufferSize);
  if (n < 0) {
    // ENOENT: the request was interrupted before we read it.
    if (errno == EINTR || errno == ENOENT || errno == EAGAIN) return ServeStep::kIdle;
    if (errno == ENODEV) return ServeStep::kEnded;
    return platform::ErrnoError(errno, "reading /dev/fuse");
  }
  absl::Span<const uint8_t> bytes(buffer, static_cast<size_t>(n));
  absl::StatusOr<Request> request = DecodeRequest(bytes);
  Reply reply;
  if (request.ok()) {
    reply = Dispatch(*request);
  } else if (std::optional<uint64_t> unique = PeekUnique(bytes)) {
    reply = EncodeError(*unique, EIO);
  }
  if (!reply) return ServeStep::kServed;
  ASSIGN_OR_RETURN(bool sent, Send(*reply));
  return sent ? ServeStep::kServed : ServeStep::kEnded;
}

absl::StatusOr<bool> Session::Send(const std::vector<uint8_t>& reply) {
  for (;;) {
    ssize_t n = write(fd_, reply.data(), reply.size());
    if (n >= 0) return true;
    if (errno == EINTR) continue;
    // ENOENT: the request was interrupted or aborted meanwhile: nobody waits.
    if (errno == ENOENT) return true;
    if (errno == ENODEV) return false;
    return platform::ErrnoError(errno, "writing /dev/fuse");
  }
}

Reply Session::Dispatch(const Request& request) {
  const RequestBody& body = request.body;
  if (!ExpectsReply(request.opcode)) return std::nullopt;  // FORGET, BATCH_FORGET, INTERRUPT
  switch (request.opcode) {
    case FUSE_INIT: return Init(request, std::get<InitIn>(body));
    case FUSE_LOOKUP: return Lookup(request, std::get<LookupIn>(body));
    case FUSE_GETATTR: return Getattr(request, std::get<GetattrIn>(body));
    case FUSE_OPEN: return Open(request, std::get<OpenIn>(body));
    case FUSE_READ: return Read(request, std::get<ReadIn>(body));
    case FUSE_RELEASE: return Release(request, std::get<ReleaseIn>(body));
    case FUSE_FLUSH:
    case FUSE_RELEASEDIR:
    case FUSE_DESTROY: return EncodeReply(request.unique, {});
    case FUSE_OPENDIR: return Opendir(request);
    case FUSE_READDIR: return Readdir(request, std::get<ReadIn>(body));
    case FUSE_STATFS: return Statfs(request);
    default: return EncodeError(request.unique, ENOSYS);
  }
}

Reply Session::Init(const Request& request, const InitIn& in) {
  if (in.major < kFuseMajor) return EncodeError(request.unique, EPROTO);
  fuse_init_out out{};
  out.major = kFuseMajor;
  if (in.major > kFuseMajor) return EncodeStruct(request.unique, out);  // the kernel retries with ours
  out.minor = std::min(in.minor, kFuseMinor);
  out.max_readahead = in.max_readahead;
  // The one optional feature: O_TRUNC arrives in OPEN (refused there with
  // EACCES) instead of as a SETATTR after it.
  out.flags = in.flags & FUSE_ATOMIC_O_TRUNC;
  out.max_background = 16;
  out.congestion_threshold = 12;
  out.max_write = 4096;
  out.time_gran = 1;
  std::vector<uint8_t> reply = EncodeStruct(request.unique, out);
  if (out.minor < 23) {  // older kernels take the 7.22 reply only
    reply.resize(sizeof(fuse_out_header) + FUSE_COMPAT_22_INIT_OUT_SIZE);
    reinterpret_cast<fuse_out_header*>(reply.data())->len = static_cast<uint32_t>(reply.size());
  }
  return reply;
}

uint64_t Session::SizeHint(VFile file) {
  auto last = last_size_.find(file);
  if (last == last_size_.end() && options_.generate) {
    absl::StatusOr<std::string> text = options_.generate(file);
    last = last_size_.emplace(file, text.ok() ? text->size() : 0).first;
  }
  return std::max<uint64_t>(kMinSizeHint, last == last_size_.end() ? 0 : 2 * last->second);
}

fuse_attr Session::Attr(uint64_t nodeid) {
  fuse_attr attr{};
  attr.ino = nodeid;
  attr.mode = IsRootDir(nodeid) ? (S_IFDIR | 0555) : (S_IFREG | 0444);
  attr.nlink = IsRootDir(nodeid) ? 2 : 1;
  attr.uid = options_.uid;
  attr.gid = options_.gid;
  attr.atime = attr.mtime = attr.ctime = mount_time_;
  attr.blksize = 4096;
  if (const VFileInfo* file = FileOf(nodeid)) attr.size = SizeHint(file->file);
  return attr;
}

Reply Session::Lookup(const Request& request, const LookupIn& in) {
  if (!IsRootDir(request.nodeid)) return EncodeError(request.unique, FileOf(request.nodeid) ? ENOTDIR : ENOENT);
  const auto& files = AllFiles();
  for (size_t i = 0; i < files.size(); ++i) {
    if (in.name != files[i].name) continue;
    fuse_entry_out out{};
    out.nodeid = i + 2;
    out.generation = 1;
    out.entry_valid = kValidSeconds;  // attr_valid 0: see kMinSizeHint
    out.attr = Attr(out.nodeid);
    return EncodeStruct(request.unique, out);
  }
  return EncodeError(request.unique, ENOENT);
}

Reply Session::Getattr(const Request& request, const GetattrIn& in) {
  if (!IsRootDir(request.nodeid) && !FileOf(request.nodeid)) return EncodeError(request.unique, ENOENT);
  // The kernel asks about an open file only to seek from its end
  // (fuse_file_llseek, SEEK_END; fstat and permission checks ask without a
  // file, and direct-I/O reads never ask): answer as Linux's seq files do,
  // which cannot seek from an end they do not know (seq_lseek: EINVAL).
  if (in.on_open_file && FileOf(request.nodeid)) return EncodeError(request.unique, EINVAL);
  fuse_attr_out out{};
  out.attr_valid = IsRootDir(request.nodeid) ? kValidSeconds : 0;
  out.attr = Attr(request.nodeid);
  return EncodeStruct(request.unique, out);
}

Reply Session::Open(const Request& request, const OpenIn& in) {
  const VFileInfo* file = FileOf(request.nodeid);
  if (file == nullptr) return EncodeError(request.unique, IsRootDir(request.nodeid) ? EISDIR : ENOENT);
  if ((in.flags & O_ACCMODE) != O_RDONLY || (in.flags & O_TRUNC)) return EncodeError(request.unique, EACCES);
  if (handles_.size() >= options_.max_open_handles) return EncodeError(request.unique, ENFILE);
  absl::StatusOr<std::string> text = options_.generate ? options_.generate(file->file)
                                                       : absl::FailedPreconditionError("no generator");
  if (!text.ok()) return EncodeError(request.unique, EIO);
  fuse_open_out out{};
  out.fh = next_fh_++;
  out.open_flags = FOPEN_DIRECT_IO | FOPEN_NOFLUSH;  // read-only: a FLUSH at close would be a wasted round trip
  last_size_[file->file] = text->size();
  handles_.emplace(out.fh, *std::move(text));
  return EncodeStruct(request.unique, out);
}

Reply Session::Read(const Request& request, const ReadIn& in) {
  auto handle = handles_.find(in.fh);
  if (handle == handles_.end()) return EncodeError(request.unique, EBADF);
  const std::string& text = handle->second;
  if (in.offset >= text.size()) return EncodeReply(request.unique, {});
  const size_t count = std::min<uint64_t>(in.size, text.size() - in.offset);
  return EncodeReply(request.unique,
                     absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()) + in.offset, count));
}

Reply Session::Release(const Request& request, const ReleaseIn& in) {
  handles_.erase(in.fh);
  return EncodeReply(request.unique, {});
}

Reply Session::Opendir(const Request& request) {
  if (!IsRootDir(request.nodeid)) return EncodeError(request.unique, FileOf(request.nodeid) ? ENOTDIR : ENOENT);
  fuse_open_out out{};  // fh 0: the listing is static, nothing to keep
  return EncodeStruct(request.unique, out);
}

Reply Session::Readdir(const Request& request, const ReadIn& in) {
  if (!IsRootDir(request.nodeid)) return EncodeError(request.unique, ENOTDIR);
  // Entry i: 0 ".", 1 "..", 2.. the files (inode = i); the offset is the next i.
  const auto& files = AllFiles();
  std::vector<uint8_t> out;
  for (uint64_t i = in.offset; i < files.size() + 2; ++i) {
    const std::string name = i == 0 ? "." : i == 1 ? ".." : files[i - 2].name;
    std::vector<uint8_t> entry;
    AppendDirent(entry, i < 2 ? kRootId : i, i + 1, i < 2 ? DT_DIR : DT_REG, name);
    if (out.size() + entry.size() > in.size) break;
    out.insert(out.end(), entry.begin(), entry.end());
  }
  return EncodeReply(request.unique, out);
}

Reply Session::Statfs(const Request& request) {
  fuse_statfs_out out{};
  out.st.bsize = out.st.frsize = 4096;
  out.st.namelen = 255;
  return EncodeStruct(request.unique, out);
}

}  // namespace

std::function<absl::StatusOr<std::string>(VFile)> GenerateFrom(const MachineSource& source) {
  return [&source](VFile file) -> absl::StatusOr<std::string> {
    absl::StatusOr<MachineInputs> inputs = source.Read(file);
    if (!inputs.ok()) return inputs.status();
    return Generate(file, *inputs);
  };
}

std::string MountData(int fuse_fd, uint32_t uid, uint32_t gid) {
  return fmt::format("fd={},rootmode=40000,user_id={},group_id={},allow_other,default_permissions", fuse_fd, uid, gid);
}

std::string FileMountData(int fuse_fd, uint32_t uid, uint32_t gid) {
  return fmt::format("fd={},rootmode=100000,user_id={},group_id={},allow_other,default_permissions", fuse_fd, uid, gid);
}

absl::Status Serve(int fuse_fd, const Options& options) { return Session(fuse_fd, options).Run(); }

struct ConnectionState {
  ConnectionState(int fuse_fd, Options options_in) : options(std::move(options_in)), session(fuse_fd, options) {}
  const Options options;
  Session session;  // refers to `options`
};

Connection::Connection(int fuse_fd, Options options)
    : state_(std::make_unique<ConnectionState>(fuse_fd, std::move(options))) {}

Connection::~Connection() = default;

absl::StatusOr<bool> Connection::ServeReady() {
  for (;;) {
    ASSIGN_OR_RETURN(ServeStep step, state_->session.ServeOne());
    if (step == ServeStep::kIdle) return true;
    if (step == ServeStep::kEnded) return false;
  }
}

}  // namespace gofer::vproc
