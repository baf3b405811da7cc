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

# The marker of a finished Debian rootfs; its name changes with the package list, so a cache made
# for an older list is made again.
DEB_MARKER=.runsc-bench-complete-git

# prepare_debian_bundle: the Debian 12 rootfs with python3, gcc, make and git, made once with
# debootstrap and cached under $CACHE; the bench files are refreshed in it. Sets DEB_*.
prepare_debian_bundle() {
  DEB_ROOT=$CACHE/debian
  DEB_BUNDLE=$WORK/debian
  if [[ ! -e $DEB_ROOT/$DEB_MARKER ]]; then
    log "debootstrap bookworm into $DEB_ROOT (once; a few minutes)"
    rm -rf "$DEB_ROOT.tmp"
    mkdir -p "$CACHE"
    debootstrap --variant=minbase --include=gcc,make,python3,libc6-dev,git bookworm \
      "$DEB_ROOT.tmp" http://deb.debian.org/debian > "$CACHE/debootstrap.log" 2>&1
    rm -rf "$DEB_ROOT"
    mv "$DEB_ROOT.tmp" "$DEB_ROOT"
    touch "$DEB_ROOT/$DEB_MARKER"
  fi
  mkdir -p "$DEB_BUNDLE" "$DEB_ROOT/usr/local/share/runsc-bench"
  cp "$MICRO" "$DEB_ROOT/usr/local/bin/runsc-bench-micro"
  cp "$REPO/bench/debian/imports.py" "$REPO/bench/debian/workloads.sh" "$DEB_ROOT/usr/local/share/runsc-bench/"
  "$REPO/bench/debian/make_build_tree.sh" "$DEB_ROOT/root/runsc-bench-build"
  # Byte-compile the import script's dependencies once, so no run pays for it.
  chroot "$DEB_ROOT" python3 /usr/local/share/runsc-bench/imports.py
}

# prepare_workloads: the inputs of the file-heavy workloads in $DEB_ROOT/root/runsc-bench-work,
# made once: files.tar (5,000 files of 1 KiB in 50 directories), three small local .debs and a
# git repository of 3,000 files in one commit.
prepare_workloads() {
  local work=$DEB_ROOT/root/runsc-bench-work src d f p
  [[ -e $work/.complete ]] && return 0
  log "making the file-heavy workloads' inputs in $work (once)"
  rm -rf "$work"
  src=$(mktemp -d)
  mkdir -p "$work/debs" "$src/tree" "$src/repo"
  head -c 1024 /dev/urandom > "$src/blob"
  for ((d = 0; d < 50; d++)); do
    mkdir "$src/tree/d$d"
    for ((f = 0; f < 100; f++)); do cp "$src/blob" "$src/tree/d$d/f$f"; done
  done
  tar -cf "$work/files.tar" -C "$src/tree" .
  for p in a b c; do
    mkdir -p "$src/deb-$p/DEBIAN" "$src/deb-$p/usr/share/runsc-bench-$p"
    printf 'Package: runsc-bench-%s\nVersion: 1.0\nArchitecture: all\nMaintainer: runsc bench <bench@localhost>\nDescription: runsc bench package %s\n' \
      "$p" "$p" > "$src/deb-$p/DEBIAN/control"
    for ((f = 0; f < 40; f++)); do cp "$src/blob" "$src/deb-$p/usr/share/runsc-bench-$p/f$f"; done
    dpkg-deb --build --root-owner-group "$src/deb-$p" "$work/debs/$p.deb" > /dev/null
  done
  for ((d = 0; d < 60; d++)); do
    mkdir "$src/repo/d$d"
    for ((f = 0; f < 50; f++)); do echo "file $d/$f" > "$src/repo/d$d/f$f.txt"; done
  done
  git -C "$src/repo" init -q
  git -C "$src/repo" add -A
  git -C "$src/repo" -c user.name=bench -c user.email=bench@localhost commit -qm "3,000 files"
  mv "$src/repo" "$work/repo"
  rm -rf "$src"
  touch "$work/.complete"
}

# docker_note: why the `docker run --rm` rows are skipped (empty if they can run). They use the
# runsc that dockerd has registered as `runsc` (scripts/docker-daemons registers the build's).
docker_note() {
  if ! command -v docker > /dev/null || ! timeout 5 docker info > /dev/null 2>&1; then
    echo "skipped — no Docker daemon is available on this machine (scripts/docker-daemons starts one)."
  elif [[ -z $(docker_runtime_name runsc) ]]; then
    echo "skipped — runsc is not registered as a Docker runtime (\`runsc install\`)."
  fi
}

# prepare_docker_images: the busybox and Debian rootfs imported into Docker (once per content) as
# runsc-bench-busybox and runsc-bench-debian, and crun registered as Docker runtime "crun" if no
# runtime of that name exists (daemon.json edited, dockerd reloaded; the bench says so).
prepare_docker_images() {
  [[ -z $DOCKER_NOTE ]] || return 0
  docker image inspect runsc-bench-busybox > /dev/null 2>&1 ||
    tar -C "$BB_ROOT" -c . | docker import - runsc-bench-busybox > /dev/null
  if ((DEB_ROUNDS > 0)) && ! docker image inspect runsc-bench-debian > /dev/null 2>&1; then
    tar -C "$DEB_ROOT" --exclude=./root/runsc-bench-work -c . | docker import - runsc-bench-debian > /dev/null
  fi
  [[ -n $(docker_runtime_name crun) ]] && return 0
  log "registering crun as Docker runtime \"crun\" in /etc/docker/daemon.json"
  python3 - << 'PY'
import json, os
path = "/etc/docker/daemon.json"
cfg = json.load(open(path)) if os.path.exists(path) else {}
cfg.setdefault("runtimes", {})["crun"] = {"path": "/usr/bin/crun"}
json.dump(cfg, open(path, "w"), indent=4)
PY
  kill -HUP "$(pidof -s dockerd)"
  sleep 2
}
