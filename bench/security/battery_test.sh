#!/bin/bash
# battery_test.sh RUNSC PROBES_DIR ROOTFS WORK: the ctest test `security_battery` (label attack).
# Runs every probe class of the battery under RUNSC and fails if a probe listed in
# expected-runsc.txt (the probes BLOCKED under runsc) is REACHED or prints no line. About 15 s.
set -euo pipefail
[[ $EUID -eq 0 ]] || { echo "SKIP: the battery runs containers: run as root"; exit 77; }
SB_RUNSC=$1 SB_PROBES=$2 SB_ROOTFS=$3 SB_WORK=$4
SB_RUN_TIMEOUT=60
# shellcheck source=battery.sh
source "$(dirname "$0")/battery.sh"
trap 'sb_cleanup; rm -rf "$SB_WORK"' EXIT
sb_prepare > /dev/null
sb_make_bundle runsc
for klass in "${SB_CLASSES[@]}"; do sb_run runsc "$klass"; done > "$SB_WORK/lines"
failed=0
while read -r probe; do
  [[ -z $probe || $probe == \#* ]] && continue
  line=$(awk -v p="$probe" '$2 == p' "$SB_WORK/lines")
  if [[ -z $line ]]; then
    echo "FAIL: $probe printed no line under runsc"; failed=1
  elif [[ $(awk '{print $4}' <<< "$line") != BLOCKED ]]; then
    echo "FAIL: $line (expected BLOCKED: bench/security/expected-runsc.txt)"; failed=1
  fi
done < "$SB_SRC/expected-runsc.txt"
if ((failed)); then
  for klass in "${SB_CLASSES[@]}"; do
    echo "--- $klass: exit $(cat "$SB_WORK/out/runsc-$klass.rc")"; cat "$SB_WORK/out/runsc-$klass.stderr"
  done
  exit 1
fi
echo "PASS: $(grep -c . "$SB_WORK/lines") probes, every expected one BLOCKED"
cat "$SB_WORK/lines"
