# measure.sh: the benchmark runs of scripts/bench (sourced). Each runs ROUNDS rounds; within a
# round every environment runs once, in an order rotated per round.

ENVS=(native runc crun runsc)
RUNTIMES=(runc crun runsc)

# measure_micro: the static micro program in the busybox rootfs, per environment.
measure_micro() {
  local round env
  for ((round = 0; round < MICRO_ROUNDS; round++)); do
    log "micro round $((round + 1))/$MICRO_ROUNDS"
    for env in $(rotated "$round" "${ENVS[@]}"); do
      in_env "$env" "$BB_BUNDLE" "$BB_ROOT" "$BB_MOUNTS" /bin/runsc-bench-micro micro \
        --dir /tmp --true /bin/true --reps "$MICRO_REPS" --target-ms "$MICRO_TARGET_MS" |
        tsv_to_records "$env" || log "a run under $env failed (see $WORK/runtime.log)"
    done
  done
}

# time_step NAME RUNTIME COMMAND...: runs COMMAND quietly and records its wall time in ms.
time_step() {
  local name=$1 rt=$2; shift 2
  local t0 t1; t0=$(now_us)
  if timeout "$RUN_TIMEOUT" "$@" < /dev/null > /dev/null 2>> "$WORK/runtime.log"; then
    t1=$(now_us)
    record lifecycle "$name" "$rt" "$((t1 - t0))e-3"
  else
    log "$name under $rt failed (see $WORK/runtime.log)"
    record skip "$name" "$rt" "failed"
  fi
}

# wait_stopped RUNTIME ID: polls `state` until the container is stopped (bounded, untimed).
wait_stopped() {
  local i
  for ((i = 0; i < 500; i++)); do
    $(runtime_cmd "$1") state "$2" 2>/dev/null | grep -q '"stopped"' && return 0
    sleep 0.01
  done
  log "container $2 of $1 did not stop"
}

# lifecycle_once RUNTIME ROUND: `run` of /bin/true, then create, start and delete separately.
lifecycle_once() {
  local rt=$1 id="bench-life-$1-$2" cmd; cmd=$(runtime_cmd "$1")
  write_config "$BB_BUNDLE" "$BB_ROOT" "" /bin/true
  time_step run_true "$rt" $cmd run --bundle "$BB_BUNDLE" "$id-r"
  time_step create "$rt" $cmd create --bundle "$BB_BUNDLE" "$id"
  time_step start "$rt" $cmd start "$id"
  wait_stopped "$rt" "$id"
  time_step delete "$rt" $cmd delete "$id"
}

# measure_lifecycle: container lifecycle per runtime; native is a fork+exec of the same true.
measure_lifecycle() {
  local round env t0
  for ((round = 0; round < LIFE_ROUNDS; round++)); do
    for env in $(rotated "$round" "${ENVS[@]}"); do
      if [[ $env == native ]]; then
        t0=$(now_us)
        "$BB_ROOT/bin/true"
        record lifecycle run_true native "$(( $(now_us) - t0 ))e-3"
      else
        lifecycle_once "$env" "$round"
      fi
    done
  done
}

# measure_io: 256 MiB write (fsync) and read in the rootfs and in a bind mount.
measure_io() {
  local round env
  for ((round = 0; round < IO_ROUNDS; round++)); do
    log "file throughput round $((round + 1))/$IO_ROUNDS"
    for env in $(rotated "$round" "${ENVS[@]}"); do
      in_env "$env" "$BB_BUNDLE" "$BB_ROOT" "$BB_MOUNTS" /bin/sh -c \
        "runsc-bench-micro io rootfs /tmp/bench-io $IO_MIB && runsc-bench-micro io bind /mnt/bind/bench-io $IO_MIB" |
        tsv_to_records "$env" || log "a run under $env failed (see $WORK/runtime.log)"
    done
  done
}

# measure_debian: Python start-up, an import-heavy script and a make -j2 of 50 C files.
measure_debian() {
  local round env
  for ((round = 0; round < DEB_ROUNDS; round++)); do
    log "debian rootfs round $((round + 1))/$DEB_ROUNDS"
    for env in $(rotated "$round" "${ENVS[@]}"); do
      make -s -C "$DEB_ROOT/root/runsc-bench-build" clean > /dev/null
      in_env "$env" "$DEB_BUNDLE" "$DEB_ROOT" "" /bin/sh -c \
        "runsc-bench-micro spawn python_pass 5 python3 -c pass && runsc-bench-micro spawn python_imports 3 python3 /usr/local/share/runsc-bench/imports.py && runsc-bench-micro spawn make_j2_50_files 1 make -s -j2 -C /root/runsc-bench-build" |
        tsv_to_records "$env" || log "a run under $env failed (see $WORK/runtime.log)"
    done
  done
}

# measure_workloads: the file-heavy workloads (bench/debian/workloads.sh) in the Debian rootfs, per
# environment; their "spawn" lines are recorded as section "workload".
measure_workloads() {
  local round env
  for ((round = 0; round < DEB_ROUNDS; round++)); do
    log "file-heavy workloads round $((round + 1))/$DEB_ROUNDS"
    for env in $(rotated "$round" "${ENVS[@]}"); do
      in_env "$env" "$DEB_BUNDLE" "$DEB_ROOT" "" /bin/sh /usr/local/share/runsc-bench/workloads.sh |
        sed 's/^spawn\t/workload\t/' | tsv_to_records "$env" ||
        log "a workload run under $env failed (see $WORK/runtime.log)"
    done
  done
}

# docker_runtime_name RUNTIME: the name RUNTIME is registered under in dockerd ("" if it is not).
docker_runtime_name() {
  local name
  case $1 in runsc-gofer) return 0 ;; esac
  for name in "$1" "bench-$1"; do
    docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q "\"$name\"" && { echo "$name"; return 0; }
  done
  return 0
}

# measure_docker: `docker run --rm` of true in the busybox and the Debian image, per runtime.
measure_docker() {
  local round rt name image images=(busybox)
  ((DEB_ROUNDS == 0)) || images+=(debian)
  for ((round = 0; round < LIFE_ROUNDS; round++)); do
    for rt in $(rotated "$round" "${RUNTIMES[@]}"); do
      name=$(docker_runtime_name "$rt")
      [[ -n $name ]] || continue
      for image in "${images[@]}"; do
        time_step "docker_run_$image" "$rt" docker run --rm --network none --runtime "$name" \
          "runsc-bench-$image" /bin/true
      done
    done
  done
}

# runtime_pids RUNTIME: pids of the runtime's own resident processes (not the containers').
# runsc: the sentry (`runsc boot --id`), the gofer (`runsc gofer --id`) and the watchdog.
# runc/crun: any process running their binary (after create/start there is none: no shim here).
runtime_pids() {
  local pid cmdline exe
  for pid in $(ls /proc | grep -E '^[0-9]+$'); do
    cmdline=$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline") || continue
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    case $1 in
      runsc | runsc-gofer) [[ $cmdline =~ ^runsc\ .*(boot|gofer|watchdog)\ .*--id\ bench-mem- ]] && echo "$pid" ;;
      runc) [[ $exe == */runc ]] && echo "$pid" ;;
      crun) [[ $exe == */crun ]] && echo "$pid" ;;
    esac
  done
  return 0
}

# sum_kib FIELD FILE PIDS...: sums "FIELD: N kB" over /proc/PID/FILE.
sum_kib() {
  local field=$1 file=$2 pid total=0 v; shift 2
  for pid in "$@"; do
    v=$(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/$file" 2>/dev/null || true)
    total=$((total + ${v:-0}))
  done
  echo "$total"
}

# memory_once RUNTIME COUNT: starts COUNT idle containers, records the runtime's processes'
# peak RSS (VmHWM) and PSS, and the containers' own (init) RSS for scale, then removes them.
memory_once() {
  local rt=$1 n=$2 cmd i pids inits=(); cmd=$(runtime_cmd "$rt")
  write_config "$BB_BUNDLE" "$BB_ROOT" "" /bin/sleep 3600
  for ((i = 0; i < n; i++)); do
    timeout "$RUN_TIMEOUT" $cmd create --bundle "$BB_BUNDLE" "bench-mem-$i" < /dev/null \
      > /dev/null 2>> "$WORK/runtime.log" || { log "create under $rt failed"; continue; }
    $cmd start "bench-mem-$i" 2>> "$WORK/runtime.log" || log "start under $rt failed"
    inits+=("$($cmd state "bench-mem-$i" | awk -F'[:,]' '/"pid"/ {gsub(/ /, "", $2); print $2}')")
  done
  sleep 1
  pids=$(runtime_pids "$rt")
  record memory "runtime_procs_x$n" "$rt" "$(echo $pids | wc -w)"
  record memory "runtime_peak_rss_kib_x$n" "$rt" "$(sum_kib VmHWM status $pids)"
  record memory "runtime_pss_kib_x$n" "$rt" "$(sum_kib Pss smaps_rollup $pids)"
  record memory "container_init_rss_kib_x$n" "$rt" "$(sum_kib VmRSS status "${inits[@]}")"
  for ((i = 0; i < n; i++)); do
    $cmd delete --force "bench-mem-$i" 2>> "$WORK/runtime.log" || true
  done
}

# measure_memory: 1 and 20 idle containers per runtime.
measure_memory() {
  local rt n
  for n in 1 20; do
    log "memory with $n idle containers"
    for rt in "${RUNTIMES[@]}"; do memory_once "$rt" "$n"; done
  done
}
