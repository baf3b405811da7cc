# battery.sh: bundles and runs of the security battery (sourced by scripts/security-bench and
# bench/security/battery_test.sh). Needs: SB_WORK (a scratch directory), SB_ROOTFS (the busybox
# rootfs to copy, build/bundle/rootfs), SB_PROBES (the directory of the probe-* programs),
# SB_RUNSC (the runsc binary). Every environment gets its own copy of the rootfs.

SB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SB_CLASSES=(kernel filesystem info privileges resources)
SB_RUN_TIMEOUT=${SB_RUN_TIMEOUT:-120}  # seconds; bounds every run

# sb_runtime_cmd ENV: the command line prefix of ENV's runtime with its own state root.
sb_runtime_cmd() {
  case $1 in
    runc | runc-seccomp) echo "runc --root $SB_WORK/state/runc" ;;
    crun) echo "crun --root $SB_WORK/state/crun" ;;
    runsc) echo "$SB_RUNSC --root $SB_WORK/state/runsc --platform seccomp-notify" ;;
    runsc-ptrace) echo "$SB_RUNSC --root $SB_WORK/state/runsc-ptrace --platform ptrace" ;;
  esac
}

# sb_prepare: the host side shared by every environment: a host directory no mount grants
# (with a random token the filesystem probe must find), the sources of the read-only and
# read-write binds, the host facts the info probes compare with, and the base config.
sb_prepare() {
  rm -rf "$SB_WORK"
  mkdir -p "$SB_WORK/hostdir" "$SB_WORK/ro-src" "$SB_WORK/rw-src" "$SB_WORK/state" "$SB_WORK/out"
  SB_TOKEN=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  echo "$SB_TOKEN" > "$SB_WORK/hostdir/token"
  echo "read-only bind source" > "$SB_WORK/ro-src/readme"
  "$SB_RUNSC" spec -b "$SB_WORK"
  mv "$SB_WORK/config.json" "$SB_WORK/base-config.json"
  SB_HOST_FACTS=(
    "host-release=$(uname -r)"
    "host-boot-id=$(cat /proc/sys/kernel/random/boot_id)"
    "host-cmdline=$(cat /proc/cmdline)"
    "host-memtotal-kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
    "host-ncpu=$(grep -c '^processor' /proc/cpuinfo)"
    "host-hostname=$(hostname)"
    "host-path=$SB_WORK/"
  )
}

# sb_make_bundle ENV: SB_WORK/ENV with a fresh rootfs holding the probes and a setuid-root copy
# of probe-privileges (/bin/probe-suid-euid).
sb_make_bundle() {
  local bundle=$SB_WORK/$1 klass
  rm -rf "$bundle"
  mkdir -p "$bundle"
  cp -a "$SB_ROOTFS" "$bundle/rootfs"
  for klass in "${SB_CLASSES[@]}"; do cp "$SB_PROBES/probe-$klass" "$bundle/rootfs/bin/"; done
  install -o root -g root -m 4755 "$SB_PROBES/probe-privileges" "$bundle/rootfs/bin/probe-suid-euid"
  mkdir -p "$bundle/rootfs/mnt/ro" "$bundle/rootfs/mnt/rw" "$bundle/rootfs/tmp"
}

# sb_class_args CLASS: the probe program's command line.
sb_class_args() {
  case $1 in
    filesystem) echo "/bin/probe-filesystem host-dir=$SB_WORK/hostdir token=$SB_TOKEN ro-dir=/mnt/ro" ;;
    info) echo "/bin/probe-info ${SB_HOST_FACTS[*]// /_}" ;;
    *) echo "/bin/probe-$1" ;;
  esac
}

# sb_run_native CLASS: the probe as root on the host, chrooted into the native bundle's rootfs,
# in a private mount namespace (so the mounts below, and any the probes make, vanish with it)
# with the host's /proc, /dev and /sys and the same two binds. Nothing else is confined. fd 5
# is a host file deliberately left open: the leaked-fd probe must see it.
sb_run_native() {
  local root=$SB_WORK/native/rootfs
  # shellcheck disable=SC2046
  timeout "$SB_RUN_TIMEOUT" unshare --mount --propagation private -- /bin/sh -c '
    root=$1; work=$2; shift 2
    mount -t proc proc "$root/proc" && mount --rbind /dev "$root/dev" &&
      mount --rbind /sys "$root/sys" &&
      mount --bind "$work/ro-src" "$root/mnt/ro" && mount -o remount,bind,ro "$root/mnt/ro" &&
      mount --bind "$work/rw-src" "$root/mnt/rw" &&
      exec env -i PATH=/bin:/sbin:/usr/bin HOME=/root chroot "$root" "$@"' \
    sh "$root" "$SB_WORK" $(sb_class_args "$1") 5< "$SB_WORK/hostdir/token" < /dev/null
}

# sb_run ENV CLASS: runs CLASS's probe program in ENV and prints its output (the PROBE lines).
# The exit status of the run goes to SB_WORK/out/ENV-CLASS.rc.
sb_run() {
  local env=$1 klass=$2 rc=0 out=$SB_WORK/out/$1-$2
  if [[ $env == native ]]; then
    sb_run_native "$klass" > "$out.stdout" 2> "$out.stderr" || rc=$?
  else
    local bundle=$SB_WORK/$env cmd id="secbench-$env-$klass-$$" seccomp=()
    [[ $env != runc-seccomp ]] || seccomp=(--docker-seccomp "$SB_DOCKER_PROFILE")
    # shellcheck disable=SC2046
    python3 "$SB_SRC/make_config.py" "$SB_WORK/base-config.json" "$bundle/config.json" \
      "$bundle/rootfs" "$SB_WORK/ro-src" "$SB_WORK/rw-src" "${seccomp[@]}" -- $(sb_class_args "$klass")
    cmd=$(sb_runtime_cmd "$env")
    # Output goes to a file, not a pipe: a process left behind cannot hold it open.
    timeout "$SB_RUN_TIMEOUT" $cmd run --bundle "$bundle" "$id" < /dev/null > "$out.stdout" \
      2> "$out.stderr" || rc=$?
    $cmd delete --force "$id" > /dev/null 2>&1 || true
  fi
  echo "$rc" > "$out.rc"
  grep '^PROBE ' "$out.stdout" || true
}

# sb_cleanup: deletes every battery container left by an interrupted run.
sb_cleanup() {
  local env id
  for env in runc crun runsc runsc-ptrace; do
    for id in $($(sb_runtime_cmd "$env") list -q 2> /dev/null | grep '^secbench-' || true); do
      $(sb_runtime_cmd "$env") delete --force "$id" > /dev/null 2>&1 || true
    done
  done
}
