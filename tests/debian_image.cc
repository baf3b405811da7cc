// The compat image and the local .debs (see debian_image.h).
#include "tests/debian_image.h"

#include <filesystem>

#include "fmt/format.h"
#include "tests/docker_support.h"

namespace runsc::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kPackages[] = "python3,git,rsync,libpython3.11-testsuite";

std::string CacheDir() { return RUNSC_DOCKER_TEST_CACHE; }

// One package: its control file, a data file and a postinst that records it
// ran.
std::string MakeDeb(const std::string& dir, const std::string& name,
                    const std::string& depends) {
  std::string root = fmt::format("{}/src-{}", dir, name);
  std::string control = fmt::format(
      "Package: runsc-test-{0}\nVersion: 1.0\nArchitecture: all\nMaintainer: "
      "runsc tests <t@example.org>\n"
      "{1}Description: runsc test package {0}\n",
      name, depends.empty() ? "" : "Depends: " + depends + "\n");
  std::string postinst = fmt::format(
      "#!/bin/sh\nset -e\nmkdir -p /var/lib/runsc-test\necho \"$1\" > "
      "/var/lib/runsc-test/{}.postinst\n",
      name);
  Shell built = Sh(
      fmt::format("set -e; mkdir -p '{0}/DEBIAN' '{0}/usr/share/runsc-test'; "
                  "printf '%s' '{1}' > '{0}/DEBIAN/control'; printf '%s' '{2}' "
                  "> '{0}/DEBIAN/postinst'; "
                  "chmod 0755 '{0}/DEBIAN/postinst'; echo 'package {3}' > "
                  "'{0}/usr/share/runsc-test/{3}.txt'; "
                  "dpkg-deb --root-owner-group -Zgzip --build '{0}' "
                  "'{4}/debs/runsc-test-{3}_1.0_all.deb'",
                  root, control, postinst, name, dir));
  return built.code == 0 ? ""
                         : fmt::format("dpkg-deb of {}: {}", name, built.err);
}

}  // namespace

std::string CompatRootfs() { return CacheDir() + "/debian-bookworm-compat"; }

std::string MakeDebootstrapRootfs(const std::string& rootfs,
                                  const std::string& packages,
                                  std::chrono::seconds timeout) {
  std::string done = rootfs + ".complete";
  if (std::filesystem::exists(done)) return "";
  std::string log = rootfs + ".debootstrap.log";
  std::string include = packages.empty() ? "" : "--include=" + packages;
  // An interrupted debootstrap may leave /proc and /sys mounted in its target:
  // unmount, then remove.
  Shell made =
      Sh(fmt::format(
             "mkdir -p \"$(dirname '{0}')\" && for m in proc sys dev/pts; do "
             "mountpoint -q '{0}.tmp/'$m && umount -l '{0}.tmp/'$m; done; "
             "rm -rf --one-file-system '{0}.tmp' && "
             "debootstrap --variant=minbase {3} bookworm '{0}.tmp' "
             "http://deb.debian.org/debian >'{1}' 2>&1 && rm -rf "
             "--one-file-system '{0}' && "
             "mv '{0}.tmp' '{0}' && touch '{2}'",
             rootfs, log, done, include),
         timeout);
  if (made.code == 0) return "";
  return fmt::format("debootstrap failed ({}); the end of {}:\n{}",
                     made.timed_out ? "timed out" : "exit status", log,
                     Sh("tail -n 20 '" + log + "'").out);
}

std::string ImportDebootstrapImage(const std::string& rootfs,
                                   const std::string& packages,
                                   const std::string& image,
                                   const std::string& docker_cli) {
  if (Sh(fmt::format("{} image inspect {} >/dev/null 2>&1", docker_cli, image))
          .code == 0)
    return "";
  std::string error = MakeDebootstrapRootfs(rootfs, packages, 900s);
  if (!error.empty()) return error;
  Shell import =
      Sh(fmt::format("tar -C '{}' --numeric-owner -c . | {} import - {}",
                     rootfs, docker_cli, image),
         300s);
  return import.code == 0 ? "" : "docker import failed: " + import.err;
}

std::string DebootstrapPrecondition(const std::string& rootfs) {
  if (std::filesystem::exists(rootfs + ".complete") ||
      Sh("command -v debootstrap").code == 0)
    return "";
  return "debootstrap is not installed (scripts/docker-daemons installs it), "
         "so there is no Debian image";
}

std::string MakeCompatRootfs() {
  return MakeDebootstrapRootfs(CompatRootfs(), kPackages, 900s);
}

std::string ImportCompatImage(const std::string& docker_cli) {
  return ImportDebootstrapImage(CompatRootfs(), kPackages, kCompatImage,
                                docker_cli);
}

std::string MakeLocalDebs(const std::string& dir) {
  if (Sh("command -v dpkg-deb && command -v dpkg-scanpackages").code != 0) {
    return "dpkg-deb and dpkg-scanpackages (dpkg-dev) are needed on the host";
  }
  std::filesystem::create_directories(dir + "/debs");
  for (auto [name, depends] :
       {std::pair{"y", ""}, std::pair{"x", "runsc-test-y"}}) {
    std::string error = MakeDeb(dir, name, depends);
    if (!error.empty()) return error;
  }
  Shell repo =
      Sh(fmt::format("set -e; mkdir -p '{0}/repo'; cp '{0}'/debs/*.deb "
                     "'{0}/repo/'; cd '{0}/repo'; "
                     "dpkg-scanpackages --multiversion . > Packages "
                     "2>/dev/null; chmod -R a+rX '{0}'",
                     dir));
  return repo.code == 0 ? "" : "dpkg-scanpackages: " + repo.err;
}

}  // namespace runsc::testing
