// Valid sample messages of every type, for the tests and the fuzz corpus.
#ifndef RUNSC_GOFER_PROTOCOL_TEST_MESSAGES_H_
#define RUNSC_GOFER_PROTOCOL_TEST_MESSAGES_H_

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "gofer/protocol/wire.h"

namespace gofer::protocol::testing {

inline Creds SampleCreds() { return Creds{1000, 1000, 022, 0x3fULL << 32 | 1, {4, 24, 27, 1000}}; }
inline Dir FdDir(std::string path) { return Dir{Dir::Kind::kFd, std::move(path)}; }
inline Dir RootDir() { return Dir{}; }

// One request of every type (Hello first), mixing root and fd dirs.
inline std::vector<Request> SampleRequests() {
  Creds c = SampleCreds();
  std::string value("\x00\x01" "binary\xff", 9);  // split: \x01b would be one escape
  return {
      {1, Hello{1, 1}},
      {2, Openat{c, FdDir("/home/user"), "notes.txt", O_WRONLY | O_CREAT | O_EXCL, 0644, RESOLVE_NO_SYMLINKS}},
      {3, Mkdirat{c, RootDir(), "/var/tmp/new", 0755}},
      {4, Mknodat{c, FdDir("/dev"), "null2", S_IFCHR | 0666, (1 << 8) | 3}},
      {5, Unlinkat{c, FdDir("/tmp"), "gone", 0x200}},
      {6, Renameat2{c, FdDir("/a"), "x", RootDir(), "/b/y", 1}},
      {7, Linkat{c, FdDir("/a"), "", FdDir("/b"), "link", 0x1000}},
      {8, Symlinkat{c, "../../etc/shadow", FdDir("/srv"), "evil"}},
      {9, Fchmodat{c, RootDir(), "/etc/motd", 0600, 0x100}},
      {10, Fchownat{c, FdDir("/"), "file", 0xffffffff, 1000, 0x100}},
      {11, Utimensat{c, RootDir(), "/f", 1700000000, (1 << 30) - 1, -5, 999999999, 0}},
      {12, Truncate{c, FdDir("/data"), "big", 1 << 20, 1 << 19}},
      {13, Setxattr{c, RootDir(), "/f", "user.mime", value, 1, 0}},
      {14, Removexattr{c, FdDir("/d"), "f", "security.selinux", 0x100}},
      {15, BindUnix{c, FdDir("/run"), "app.sock"}},
      {16, Faccessat{c, FdDir("/var/lib"), "dpkg", 2, 0x200, 1000, 1000, 0x1ffffffffffULL}},
  };
}

inline std::vector<Reply> SampleReplies() {
  return {
      {1, HelloReply{1}},
      {2, Result{7, 1}},
      {3, Result{-13, 0}},
      {0, Error{3, "openat.path: length 70000 exceeds 4095"}},
      {1, HelloReply{1, 1}},  // with the donated root (directfs)
  };
}

}  // namespace gofer::protocol::testing

#endif  // RUNSC_GOFER_PROTOCOL_TEST_MESSAGES_H_
