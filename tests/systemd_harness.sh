#!/bin/bash
# A real systemd for the systemd cgroup driver's tests, never the host's:
#   systemd_harness.sh start DIR   starts /lib/systemd/systemd --system as PID 1 of new
#                                  pid, mount, cgroup, uts, ipc and net namespaces; prints its pid
#   systemd_harness.sh run DIR CMD...  runs CMD inside (see run)
#   systemd_harness.sh stop DIR    kills it (and its namespace) and removes its cgroups
# Its cgroups are a subtree runsc-systemd-<DIR's name> of every host hierarchy, its root in
# a cgroup namespace (so it manages that subtree alone); /run is a tmpfs of its own (the bus
# socket: /proc/PID/root/run/dbus/system_bus_socket), /proc/sys and /sys are read-only (it
# changes no host sysctl), and it loads only the units written to DIR/units (a target wanting
# dbus), none of the host's. Run runtimes inside it with `nsenter -t PID -a`.
set -euo pipefail
cmd=$1
dir=$2
name=runsc-systemd-$(basename "$dir")

inner() {
  mount --make-rprivate /
  mount -t tmpfs -o mode=755 tmpfs /run
  mount --bind /proc/sys /proc/sys
  mount -o remount,bind,ro /proc/sys
  mount -t sysfs -o ro sysfs /sys
  mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup
  # Fresh cgroup mounts show this cgroup namespace's root: the subtree made by start.
  while read -r mp opts fstype; do
    mkdir -p "$mp"
    if [ "$fstype" = cgroup2 ]; then
      mount -t cgroup2 none "$mp"
    else
      mount -t cgroup -o "${opts#-}" cgroup "$mp"
    fi
  done <"$dir/mounts"
  export container=runsc-test SYSTEMD_UNIT_PATH="$dir/units" SYSTEMD_LOG_TARGET=console
  exec /lib/systemd/systemd --system --unit=runsc-test.target
}

write_units() {
  mkdir -p "$dir/units"
  printf '[Unit]\nWants=dbus.socket dbus.service\n' >"$dir/units/runsc-test.target"
  printf '[Unit]\nDefaultDependencies=no\n[Socket]\nListenStream=/run/dbus/system_bus_socket\n' \
    >"$dir/units/dbus.socket"
  printf '%s\n' '[Unit]' 'DefaultDependencies=no' 'Requires=dbus.socket' '[Service]' 'Type=notify' \
    'NotifyAccess=main' \
    'ExecStart=/usr/bin/dbus-daemon --system --address=systemd: --nofork --nopidfile --systemd-activation --syslog-only' \
    >"$dir/units/dbus.service"
}

start() {
  write_units
  # "mount point -options fstype" of every cgroup hierarchy.
  sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - \(cgroup2\?\) [^ ]* rw,\?\(.*\)$/\1 -\3 \2/p' \
    /proc/self/mountinfo >"$dir/mounts"
  while read -r mp opts fstype; do
    mkdir -p "$mp/$name"
    if [ -e "$mp/cpuset.cpus" ]; then
      cat "$mp/cpuset.cpus" >"$mp/$name/cpuset.cpus"
      cat "$mp/cpuset.mems" >"$mp/$name/cpuset.mems"
    fi
  done <"$dir/mounts"
  (
    while read -r mp opts fstype; do echo "$BASHPID" >"$mp/$name/cgroup.procs"; done <"$dir/mounts"
    exec unshare --cgroup --pid --fork --mount --uts --ipc --net --mount-proc "$0" inner "$dir"
  ) >"$dir/log" 2>&1 </dev/null &
  local unshare=$!
  echo "$unshare" >"$dir/unshare.pid"
  for _ in $(seq 100); do
    local child
    child=$(tr -d " \n" <"/proc/$unshare/task/$unshare/children" 2>/dev/null || true)
    if [ -n "$child" ]; then
      echo "$child" >"$dir/systemd.pid"
      echo "$child"
      return 0
    fi
    sleep 0.05
  done
  echo "systemd did not start: $(cat "$dir/log")" >&2
  return 1
}

remove_tree() {  # deepest first
  find "$1" -depth -type d -exec rmdir {} + 2>/dev/null || true
}

stop() {
  local pid
  pid=$(cat "$dir/systemd.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  local unshare
  unshare=$(cat "$dir/unshare.pid" 2>/dev/null || true)
  for _ in $(seq 100); do
    [ -z "$unshare" ] || [ ! -e "/proc/$unshare" ] && break
    sleep 0.05
  done
  while read -r mp opts fstype; do
    for _ in $(seq 50); do
      [ -d "$mp/$name" ] || break
      remove_tree "$mp/$name"
      sleep 0.05
    done
  done <"$dir/mounts"
}

# Runs "$@" inside systemd's namespaces, from its cgroup runsc-tests (a process in none of
# the namespace's cgroups would see its own cgroup as "/.." and could not be placed).
run() {
  shift 2
  while read -r mp opts fstype; do
    mkdir -p "$mp/$name/runsc-tests"
    if [ -e "$mp/cpuset.cpus" ] && [ -z "$(cat "$mp/$name/runsc-tests/cpuset.cpus")" ]; then
      cat "$mp/$name/cpuset.cpus" >"$mp/$name/runsc-tests/cpuset.cpus"
      cat "$mp/$name/cpuset.mems" >"$mp/$name/runsc-tests/cpuset.mems"
    fi
    echo $$ >"$mp/$name/runsc-tests/cgroup.procs"
  done <"$dir/mounts"
  exec nsenter -t "$(cat "$dir/systemd.pid")" -a -- "$@"
}

case $cmd in
start) start ;;
run) run "$@" ;;
stop) stop ;;
inner) inner ;;
*) echo "usage: $0 start|run|stop DIR" >&2; exit 2 ;;
esac
