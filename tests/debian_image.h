// The Debian image of the compatibility tests: a debootstrap minbase of
// bookworm with python3, git, rsync and CPython's test suite, made once per
// build dir from deb.debian.org (the only network the tests use) and cached in
// RUNSC_DOCKER_TEST_CACHE; and the tiny .debs and local apt repository the
// tests install from (built on the host with dpkg-deb and dpkg-scanpackages).
#ifndef RUNSC_TESTS_DEBIAN_IMAGE_H_
#define RUNSC_TESTS_DEBIAN_IMAGE_H_

#include <string>

namespace runsc::testing {

// The image name given to `docker import` of the compat rootfs.
inline constexpr char kCompatImage[] = "runsc-test-debian-compat";

// The cached rootfs directory (complete once CompatRootfsReady()).
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
