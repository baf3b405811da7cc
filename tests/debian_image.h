// The Debian image of the compatibility tests: a debootstrap minbase of
// bookworm with python3, git, rsync and CPython's test suite, made once per
// build dir from deb.debian.org (the only network the tests use) and cached in
// RUNSC_DOCKER_TEST_CACHE; and the tiny .debs and local apt repository the
// tests install from (built on the host with dpkg-deb and dpkg-scanpackages).
#ifndef RUNSC_TESTS_DEBIAN_IMAGE_H_
#define RUNSC_TESTS_DEBIAN_IMAGE_H_

#include <chrono>
#include <string>

namespace runsc::testing {

// A debootstrap minbase of bookworm from deb.debian.org in `rootfs`, with
// `packages` (comma-separated, may be empty) added, unless `rootfs`.complete
// says it was made before; "" on success, else what went wrong.
std::string MakeDebootstrapRootfs(const std::string& rootfs,
                                  const std::string& packages,
                                  std::chrono::seconds timeout);

// `docker import`s `rootfs` (made first with `packages`) as `image` into the
// dockerd that `docker_cli` talks to, unless it has it; "" on success.
std::string ImportDebootstrapImage(const std::string& rootfs,
                                   const std::string& packages,
                                   const std::string& image,
                                   const std::string& docker_cli = "docker");

// Why no Debian image can be made here (debootstrap missing and nothing
// cached): a reason to skip; "" when one can be. A failure to make it once
// debootstrap is there is a test failure, not a skip.
std::string DebootstrapPrecondition(const std::string& rootfs);

// The image name given to `docker import` of the compat rootfs.
inline constexpr char kCompatImage[] = "runsc-test-debian-compat";

// The cached rootfs directory of the compat image.
std::string CompatRootfs();

// Why the rootfs cannot be made here ("" if it exists or was just made; takes
// minutes the first time).
std::string MakeCompatRootfs();

// Imports the rootfs as kCompatImage into the dockerd that `docker_cli` talks
// to ("docker" or "docker -H unix://..."), unless it has it; "" on success.
std::string ImportCompatImage(const std::string& docker_cli = "docker");

// Writes into `dir`: debs/runsc-test-{x,y}_1.0_all.deb (x depends on y; each
// installs /usr/share/runsc-test/<name>.txt and its postinst writes
// /var/lib/runsc-test/<name>.postinst) and repo/ (both .debs and a Packages
// index). "" on success.
std::string MakeLocalDebs(const std::string& dir);

}  // namespace runsc::testing

#endif  // RUNSC_TESTS_DEBIAN_IMAGE_H_
