# prepare.sh: host and bundle preparation for scripts/bench (sourced).

# fix_hybrid_cgroups: crun 1.8 refuses a hybrid host while cgroup2 owns a controller; move each
# such controller (here hugetlb) to its own v1 hierarchy under /sys/fs/cgroup/<name>, the usual
# hybrid layout. Idempotent; a controller can only move when no cgroup2 cgroup enables it.
fix_hybrid_cgroups() {
  local unified=/sys/fs/cgroup/unified/cgroup.controllers ctrl
  [[ -r $unified ]] || return 0
  for ctrl in $(cat "$unified"); do
    if grep -qw "$ctrl" /sys/fs/cgroup/unified/cgroup.subtree_control; then
      echo "bench: cgroup2 root enables $ctrl for its children; cannot move it to v1" >&2
      return 1
    fi
    mkdir -p "/sys/fs/cgroup/$ctrl"
    mountpoint -q "/sys/fs/cgroup/$ctrl" || mount -t cgroup -o "$ctrl" cgroup "/sys/fs/cgroup/$ctrl"
    log "mounted cgroup controller $ctrl as a v1 hierarchy (for crun)"
  done
}

# prepare_busybox_bundle: a writable copy of the build's busybox rootfs with the bench program,
# the bind-mount source beside it. Sets BB_BUNDLE, BB_ROOT, BB_MOUNTS.
prepare_busybox_bundle() {
  BB_BUNDLE=$WORK/busybox
  BB_ROOT=$BB_BUNDLE/rootfs
  rm -rf "$BB_BUNDLE" "$WORK/bind"
  mkdir -p "$BB_BUNDLE" "$WORK/bind"
  cp -a "$BUILD_DIR/bundle/rootfs" "$BB_ROOT"
  cp "$MICRO" "$BB_ROOT/bin/runsc-bench-micro"
  mkdir -p "$BB_ROOT/mnt/bind"
  BB_MOUNTS="{\"destination\": \"/mnt/bind\", \"type\": \"bind\", \"source\": \"$WORK/bind\", \"options\": [\"rbind\", \"rw\"]},"
}

# prepare_debian_bundle: the Debian 12 rootfs with python3, gcc and make, made once with
# debootstrap and cached under $CACHE; the bench files are refreshed in it. Sets DEB_*.
prepare_debian_bundle() {
  DEB_ROOT=$CACHE/debian
  DEB_BUNDLE=$WORK/debian
  if [[ ! -e $DEB_ROOT/.runsc-bench-complete ]]; then
    log "debootstrap bookworm into $DEB_ROOT (once; a few minutes)"
    rm -rf "$DEB_ROOT.tmp"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase --include=gcc,make,python3,libc6-dev bookworm \
      "$DEB_ROOT.tmp" http://deb.debian.org/debian > "$CACHE/debootstrap.log" 2>&1
    rm -rf "$DEB_ROOT"
    mv "$DEB_ROOT.tmp" "$DEB_ROOT"
    touch "$DEB_ROOT/.runsc-bench-complete"
  fi
  mkdir -p "$DEB_BUNDLE" "$DEB_ROOT/usr/local/share/runsc-bench"
  cp "$MICRO" "$DEB_ROOT/usr/local/bin/runsc-bench-micro"
  cp "$REPO/bench/debian/imports.py" "$DEB_ROOT/usr/local/share/runsc-bench/imports.py"
  "$REPO/bench/debian/make_build_tree.sh" "$DEB_ROOT/root/runsc-bench-build"
  # Byte-compile the import script's dependencies once, so no run pays for it.
  chroot "$DEB_ROOT" python3 /usr/local/share/runsc-bench/imports.py
}
