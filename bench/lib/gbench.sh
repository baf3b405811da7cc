# gbench.sh: the Google Benchmark syscall costs of scripts/bench (sourced): bench/gbench's
# runsc-gbench-syscall natively, under runc and under runsc on each platform (seccomp-notify,
# the default, and ptrace: the env runsc-ptrace), interleaved by round in one run;
# writes bench/results/<date>[-quick]-gbench.md (+ .tsv) and, for a full run, README's
# "Syscall costs (Google Benchmark)" subsection.
#
# The program is dynamic (Debian ships only a shared libbenchmark), so it runs in the cached
# Debian 12 rootfs ($CACHE/debian, see prepare.sh), which has libstdc++ and libc: the binary and
# libbenchmark.so.1debian are copied into /usr/local/lib/runsc-bench/ there, which the binary's
# RUNPATH names (an absolute one: with $ORIGIN, ld.so would need /proc).
# "native" is a chroot of that rootfs, as for the other rows (no namespaces, cgroups, seccomp), with
# the host's /proc mounted in it for the run.
# The brokered-call rows (fs_bench.cc) work in the rootfs' /tmp and in a tmpfs at $GB_TMPFS: a
# tmpfs mount of the bundle under runc and runsc, one that measure_gbench mounts in the chroot
# for the native runs.

GB_ENVS=(native runc runsc runsc-ptrace runc-docker runsc-docker)
# The *-docker environments (Docker's default seccomp profile in config.json) run only the
# passthrough rows: issue 17's goal compares runsc with runc when both load that profile.
GB_DOCKER_FILTER='^BM_(Getpid|Write1|Stat|Read4k)$'
GB_TMPFS=/mnt/runsc-gbench-tmpfs
GB_MOUNTS="{\"destination\": \"$GB_TMPFS\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
GB_HEADING="### Syscall costs (Google Benchmark)"

# prepare_gbench: the Debian rootfs (debootstrapped once) with the program and its library.
# Sets GB_ROOT, GB_BUNDLE, GB_BIN (path inside the rootfs).
prepare_gbench() {
  local bin=$BUILD_DIR/bench/runsc-gbench-syscall lib dir missing
  [[ -x $bin ]] || { echo "bench: $bin not built" >&2; return 1; }
  if [[ ! -e $CACHE/debian/$DEB_MARKER ]]; then prepare_debian_bundle; fi
  GB_ROOT=$CACHE/debian
  GB_BUNDLE=$WORK/gbench
  GB_BIN=/usr/local/lib/runsc-bench/runsc-gbench-syscall
  dir=$GB_ROOT/usr/local/lib/runsc-bench
  mkdir -p "$GB_BUNDLE/json" "$dir"
  cp "$bin" "$dir/"
  lib=$(ldd "$bin" | awk '$1 ~ /^libbenchmark\.so/ {print $3}')
  [[ -n $lib ]] || { echo "bench: libbenchmark not found by ldd $bin" >&2; return 1; }
  cp -L "$lib" "$dir/$(basename "$lib")"
  missing=$(chroot "$GB_ROOT" ldd "$GB_BIN" | grep 'not found' || true)
  [[ -z $missing ]] || { echo "bench: in the Debian rootfs: $missing" >&2; return 1; }
}

# measure_gbench: GB_ROUNDS rounds; each round runs the program once per environment, in an
# order rotated per round; every run's JSON is kept under $GB_BUNDLE/json.
measure_gbench() {
  local round env out only tmpfs=$GB_ROOT$GB_TMPFS proc=$GB_ROOT/proc
  # The native runs' tmpfs and /proc (left mounted only if a run was interrupted: replaced here).
  # /proc: the design-floor rows read the caller's /proc/<tid>/status as a broker must, and
  # /proc/meminfo gets a native row.
  mountpoint -q "$tmpfs" && umount "$tmpfs"
  mountpoint -q "$proc" && umount "$proc"
  mkdir -p "$tmpfs" "$proc"
  mount -t tmpfs -o nosuid,nodev,mode=1777,size=65536k tmpfs "$tmpfs"
  mount -t proc -o nosuid,nodev,noexec proc "$proc"
  for ((round = 0; round < GB_ROUNDS; round++)); do
    log "gbench round $((round + 1))/$GB_ROUNDS"
    for env in $(rotated "$round" "${GB_ENVS[@]}"); do
      out=$GB_BUNDLE/json/$env-$round.json
      only=()
      [[ $env != *-docker ]] || only=("--benchmark_filter=$GB_DOCKER_FILTER")
      in_env "$env" "$GB_BUNDLE" "$GB_ROOT" "$GB_MOUNTS" "$GB_BIN" --dir=/tmp "--tmpfs-dir=$GB_TMPFS" \
        --benchmark_format=json "${only[@]}" \
        "--benchmark_min_time=$GB_MIN_TIME" "--benchmark_repetitions=$GB_REPS" > "$out" ||
        log "gbench under $env failed (see $WORK/runtime.log)"
    done
  done
  umount "$tmpfs" "$proc"
}

# gbench_machine_md: the machine and versions, as markdown bullets.
gbench_machine_md() {
  echo "- machine: $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) cores;" \
    "load average at start: $LOAD_AT_START, at end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared with other test runs)"
  echo "- kernel $(uname -r), $(. /etc/os-release; echo "$PRETTY_NAME"); Google Benchmark" \
    "$(dpkg-query -W -f='${Version}' libbenchmark-dev 2>/dev/null)"
  echo "- runc $(runc --version | awk 'NR == 1 {print $3}'), runsc" \
    "$($RUNSC --version 2>/dev/null | awk 'NR == 1 {print $NF}') built from $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- runsc sentry gofer platform || echo " + uncommitted changes") ($(basename "$BUILD_DIR"))"
  echo "- mode: $MODE; $GB_ROUNDS rounds × $GB_REPS repetitions, --benchmark_min_time=$GB_MIN_TIME s," \
    "environments rotated per round; wall time of this part: $((SECONDS - GB_START)) s"
}

# write_gbench_report NAME: bench/results/NAME-gbench.md and .tsv; README for a full run.
write_gbench_report() {
  local name=$1-gbench
  mkdir -p "$RESULTS"
  gbench_machine_md > "$GB_BUNDLE/machine.md"
  python3 "$REPO/bench/gbench/report.py" --json-dir "$GB_BUNDLE/json" \
    --machine "$GB_BUNDLE/machine.md" --name "$name" --command "./scripts/bench${GB_COMMAND:+ $GB_COMMAND}" \
    --md "$RESULTS/$name.md" --tsv "$RESULTS/$name.tsv" --readme-fragment "$GB_BUNDLE/readme.md"
  log "wrote $RESULTS/$name.md"
  [[ $MODE == quick ]] || update_readme_gbench "$GB_BUNDLE/readme.md"
}

# update_readme_gbench FRAGMENT: replaces README's gbench subsection (heading to the next
# "## "/"### " heading or the end) with FRAGMENT, or appends it to the end (Performance is last).
update_readme_gbench() {
  local readme=$REPO/README.md tmp; tmp=$(mktemp)
  awk -v heading="$GB_HEADING" -v frag="$1" '
    function emit(  line) { while ((getline line < frag) > 0) print line; done = 1 }
    $0 == heading { emit(); skipping = 1; next }
    skipping && /^##+ / { skipping = 0; print "" }
    !skipping { print }
    END { if (!done) { print ""; emit() } }' "$readme" > "$tmp"
  cat "$tmp" > "$readme"
  rm -f "$tmp"
}

# run_gbench NAME: the whole part (prepare, measure, report).
run_gbench() {
  GB_START=$SECONDS
  if [[ $MODE == quick ]]; then GB_ROUNDS=2 GB_REPS=2 GB_MIN_TIME=0.05
  else GB_ROUNDS=3 GB_REPS=3 GB_MIN_TIME=0.2; fi
  prepare_gbench
  measure_gbench
  write_gbench_report "$1"
}
