#include "runsc/filter_cache.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>

#include "fmt/format.h"
#include "platform/status_macros.h"
#include "platform/unique_fd.h"
#include "runsc/sandbox_filter.h"
#include "spdlog/spdlog.h"

namespace runsc {
namespace {

using platform::UniqueFd;

constexpr size_t kMaxInstructions = BPF_MAXINSNS;
constexpr size_t kMaxFileSize = 1 << 20;

// The GNU build id of the main program, in hex ("" without one).
std::string OwnBuildId() {
  std::string id;
  dl_iterate_phdr(
      [](struct dl_phdr_info* info, size_t, void* out) {
        for (int i = 0; i < info->dlpi_phnum; ++i) {
          const ElfW(Phdr)& phdr = info->dlpi_phdr[i];
          if (phdr.p_type != PT_NOTE) continue;
          const char* at =
              reinterpret_cast<const char*>(info->dlpi_addr + phdr.p_vaddr);
          const char* end = at + phdr.p_memsz;
          while (at + sizeof(ElfW(Nhdr)) <= end) {
            auto* note = reinterpret_cast<const ElfW(Nhdr)*>(at);
            const char* desc =
                at + sizeof(ElfW(Nhdr)) + ((note->n_namesz + 3) & ~3u);
            if (note->n_type == NT_GNU_BUILD_ID && note->n_namesz == 4 &&
                memcmp(note + 1, "GNU", 4) == 0) {
              auto* bytes = reinterpret_cast<const unsigned char*>(desc);
              for (unsigned j = 0; j < note->n_descsz; ++j)
                *static_cast<std::string*>(out) +=
                    fmt::format("{:02x}", bytes[j]);
              return 1;
            }
            at = desc + ((note->n_descsz + 3) & ~3u);
          }
        }
        return 1;  // only the first object: the main program
      },
      &id);
  return id;
}

std::string CacheName(const std::string& key) {
  // '@' is no character of a container id (ValidateContainerId): no clash.
  return fmt::format("@filter-{:016x}", std::hash<std::string>{}(key));
}

// Reads the cache file `name` under `root` if it is ours alone.
std::optional<std::string> ReadTrusted(const std::string& root,
                                       const std::string& name) {
  UniqueFd fd(open((root + "/" + name).c_str(),
                   O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
  struct stat st;
  if (!fd.valid() || fstat(fd.get(), &st) != 0) return std::nullopt;
  if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 022) != 0 ||
      static_cast<size_t>(st.st_size) > kMaxFileSize) {
    return std::nullopt;
  }
  std::string text(static_cast<size_t>(st.st_size), '\0');
  if (pread(fd.get(), text.data(), text.size(), 0) !=
      static_cast<ssize_t>(text.size()))
    return std::nullopt;
  return text;
}

std::optional<std::vector<sock_filter>> ProgramFromBytes(const char* bytes,
                                                         size_t size) {
  if (size == 0 || size % sizeof(sock_filter) != 0 ||
      size / sizeof(sock_filter) > kMaxInstructions) {
    return std::nullopt;
  }
  std::vector<sock_filter> program(size / sizeof(sock_filter));
  memcpy(program.data(), bytes, size);
  return program;
}

}  // namespace

std::string FilterKey(const nlohmann::json& sandbox, bool oci_takes_listener) {
  static const std::string build_id = OwnBuildId();
  if (build_id.empty()) return "";
  struct utsname uts;
  uname(&uts);
  const scmp_version* libseccomp = seccomp_version();
  nlohmann::json key = {
      {"build_id", build_id},
      {"kernel", std::string(uts.release) + " " + uts.version},
      {"libseccomp", fmt::format("{}.{}.{}", libseccomp->major,
                                 libseccomp->minor, libseccomp->micro)},
      {"sandbox", sandbox},
      {"oci_takes_listener", oci_takes_listener}};
  return key.dump();
}

std::optional<std::vector<sock_filter>> LoadCachedFilter(
    const std::string& root, const std::string& key) {
  if (key.empty()) return std::nullopt;
  std::optional<std::string> text = ReadTrusted(root, CacheName(key));
  // The key, a newline, the program: the key must be ours exactly.
  if (!text || text->size() <= key.size() ||
      text->compare(0, key.size(), key) != 0 || (*text)[key.size()] != '\n') {
    return std::nullopt;
  }
  return ProgramFromBytes(text->data() + key.size() + 1,
                          text->size() - key.size() - 1);
}

void StoreCachedFilter(const std::string& root, const std::string& key,
                       const std::vector<sock_filter>& program) {
  if (key.empty()) return;
  std::string text = key + "\n";
  text.append(reinterpret_cast<const char*>(program.data()),
              program.size() * sizeof(sock_filter));
  std::string temporary = root + "/@filter-tmp-XXXXXX";
  UniqueFd fd(mkostemp(temporary.data(), O_CLOEXEC));
  bool written = fd.valid() && write(fd.get(), text.data(), text.size()) ==
                                   static_cast<ssize_t>(text.size());
  if (written &&
      rename(temporary.c_str(), (root + "/" + CacheName(key)).c_str()) == 0)
    return;
  spdlog::debug("caching the sandbox filter under {}: {}", root,
                strerror(errno));
  if (fd.valid()) unlink(temporary.c_str());
}

absl::StatusOr<nlohmann::json> PrecompiledSandboxFilter(
    const std::string& root, const nlohmann::json& sandbox,
    bool oci_takes_listener) {
  if (sandbox.empty()) return nlohmann::json();
  const std::string key = FilterKey(sandbox, oci_takes_listener);
  std::optional<std::vector<sock_filter>> program = LoadCachedFilter(root, key);
  if (!program) {
    ASSIGN_OR_RETURN(platform::CompiledSeccomp compiled,
                     CompileSandboxFilter(sandbox, oci_takes_listener));
    if (compiled.flags != 0)
      return nlohmann::json();  // not what the cache holds: the init compiles
    program = std::move(compiled.program);
    StoreCachedFilter(root, key, *program);
  }
  return nlohmann::json{{"oci_takes_listener", oci_takes_listener},
                        {"flags", 0},
                        {"program", EncodeProgram(*program)}};
}

std::string EncodeProgram(const std::vector<sock_filter>& program) {
  static constexpr char kDigits[] = "0123456789abcdef";
  auto* bytes = reinterpret_cast<const unsigned char*>(program.data());
  std::string hex;
  for (size_t i = 0; i < program.size() * sizeof(sock_filter); ++i) {
    hex += kDigits[bytes[i] >> 4];
    hex += kDigits[bytes[i] & 0xf];
  }
  return hex;
}

std::optional<std::vector<sock_filter>> DecodeProgram(const std::string& text) {
  auto nibble = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                  : -1;
  };
  if (text.size() % 2 != 0) return std::nullopt;
  std::string bytes(text.size() / 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int high = nibble(text[2 * i]), low = nibble(text[2 * i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes[i] = static_cast<char>(high << 4 | low);
  }
  return ProgramFromBytes(bytes.data(), bytes.size());
}

}  // namespace runsc
