# common.sh: shared helpers of scripts/bench (sourced). Times come from bash's $EPOCHREALTIME,
# so taking a time stamp forks nothing.

# Microseconds since the epoch.
now_us() { local t=${EPOCHREALTIME}; echo $((10#${t/./})); }

# record SECTION NAME ENV VALUE: appends one measurement to the raw results.
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$RAW"; }

# log MESSAGE: progress on stderr with the elapsed time.
log() { printf '[bench %4ds] %s\n' $((SECONDS - START_SECONDS)) "$*" >&2; }

# rotated ROUND ITEMS...: prints ITEMS rotated left by ROUND, so each environment takes every
# position in turn across rounds (drift hits all equally).
rotated() {
  local round=$1; shift
  local items=("$@") n=$# i
  for ((i = 0; i < n; i++)); do echo "${items[(i + round) % n]}"; done
}

# runtime_cmd RUNTIME: prints the command line prefix of RUNTIME with its own state root.
runtime_cmd() {
  case $1 in
    runc) echo "runc --root $WORK/state/runc" ;;
    crun) echo "crun --root $WORK/state/crun" ;;
    runsc) echo "$RUNSC --root $WORK/state/runsc" ;;
    # The second platform (issue 19): trapped calls reach the sentry by ptrace.
    runsc-ptrace) echo "$RUNSC --platform ptrace --root $WORK/state/runsc-ptrace" ;;
    # The strict mode: every brokered call goes sentry -> gofer (issue 17's comparison column).
    runsc-gofer) echo "$RUNSC --directfs=false --root $WORK/state/runsc-gofer" ;;
    # runc and runsc with Docker's default seccomp profile in config.json (gbench's passthrough rows).
    runc-docker) echo "runc --root $WORK/state/runc-docker" ;;
    runsc-docker) echo "$RUNSC --root $WORK/state/runsc-docker" ;;
  esac
}

# runsc_has_directfs: whether the runsc binary knows --directfs (then the report gets a column
# for runsc --directfs=false beside the default).
runsc_has_directfs() { "$RUNSC" --help 2>&1 | grep -q -- '--directfs'; }

# json_args ARGS...: prints ARGS as a JSON array (arguments must not contain quotes).
json_args() {
  local out="" a
  for a in "$@"; do out+="${out:+, }\"$a\""; done
  echo "[$out]"
}

# write_config BUNDLE ROOT MOUNTS ARGS...: writes BUNDLE/config.json from the template.
write_config() {
  local bundle=$1 root=$2 mounts=$3; shift 3
  local args; args=$(json_args "$@")
  args=${args//&/\\&}  # `&` is special in a sed replacement
  args=${args//|/\\|}  # and `|`, the delimiter (gbench's --benchmark_filter alternation)
  sed -e "s|@ARGS@|$args|" -e "s|@ROOT@|$root|" -e "s|@MOUNTS@|$mounts|" \
    "$REPO/bench/config.json.in" > "$bundle/config.json"
}

# in_env ENV BUNDLE ROOT MOUNTS ARGS...: runs ARGS in ENV and prints its stdout. "native" is a
# chroot into the same rootfs (no namespaces, cgroups or seccomp); the others `run` a container.
in_env() {
  local env=$1 bundle=$2 root=$3 mounts=$4; shift 4
  if [[ $env == native ]]; then
    env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin HOME=/root /usr/sbin/chroot "$root" "$@"
    return
  fi
  write_config "$bundle" "$root" "$mounts" "$@"
  if [[ $env == *-docker ]]; then
    python3 "$REPO/bench/lib/docker_seccomp.py" "$bundle/config.json" \
      "$REPO/tests/data/docker_default_seccomp.json" || return 1
  fi
  local id="bench-$env-$BASHPID-$((++RUN_SEQ))" cmd rc=0; cmd=$(runtime_cmd "$env")
  # Output goes to a file, not a pipe: a process left behind by a failed run cannot hold it.
  timeout "$RUN_TIMEOUT" $cmd run --bundle "$bundle" "$id" < /dev/null > "$WORK/run.out" \
    2>> "$WORK/runtime.log" || rc=$?
  cat "$WORK/run.out"
  if ((rc != 0)); then
    $cmd delete --force "$id" > /dev/null 2>&1 || true
    return "$rc"
  fi
}

# tsv_to_records ENV: turns "<kind>\t<name>\t<value>" lines on stdin into records for ENV.
tsv_to_records() {
  local kind name value
  while IFS=$'\t' read -r kind name value; do
    case $kind in
      micro | io | spawn | workload) record "$kind" "$name" "$1" "$value" ;;
      skip) log "skipped $name under $1: $value"; record skip "$name" "$1" "$value" ;;
    esac
  done
}
