// The device cgroup rules of a container.
#ifndef RUNSC_RUNSC_DEVICE_RULES_H_
#define RUNSC_RUNSC_DEVICE_RULES_H_

#include <string>
#include <utility>
#include <vector>

#include "runsc/spec.h"

namespace runsc {

// (allow, "c 1:3 rwm") rules in the order they must be written: the spec's
// linux.resources.devices, then the devices every container may use (as
// runc adds them: null, zero, full, random, urandom, tty, console, ptmx,
// pts/*, net/tun, and mknod of anything), then the spec's linux.devices.
std::vector<std::pair<bool, std::string>> DeviceCgroupRules(const Spec& spec);

}  // namespace runsc

#endif  // RUNSC_RUNSC_DEVICE_RULES_H_
