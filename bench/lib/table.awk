# table.awk: rows.tsv + stats (+ skips) to the markdown tables of the report.
# Cells are "median ±s" where s is half the interquartile range relative to the median.
# Ratios are cost ratios against runc: >1 means slower (or, for throughput, lower) than runc.
# -v envlist="native runc crun runsc [runsc-gofer]": the columns, in order.
BEGIN {
  FS = "\t"; nenv = split(envlist, envs, " ")
  label["runsc-gofer"] = "runsc --directfs=false"
}
FILENAME == ARGV[1] { med[$1, $2, $3] = $4; spr[$1, $2, $3] = ($4 ? ($6 - $5) / 2 / $4 * 100 : 0); next }
FILENAME == ARGV[2] { skipped[$2, $3] = $4; next }
/^#/ { next }
{
  if ($1 != section) header($1)
  line = "| " $3
  for (i = 1; i <= nenv; i++) line = line " | " cell($1, $2, envs[i], $4)
  for (i = 3; i <= nenv; i++) line = line " | " ratio($1, $2, envs[i], $4)
  line = line " | " $5 " |"
  print line
}
function header(s) {
  section = s
  titles["micro"] = "Micro benchmarks (time per operation, inside the container)"
  titles["lifecycle"] = "Container lifecycle (wall time of the runtime command)"
  titles["io"] = "File throughput inside the container (MiB/s, higher is better)"
  titles["spawn"] = "Debian rootfs programs (wall time inside the container)"
  titles["workload"] = "File-heavy workloads in the Debian rootfs (wall time inside the container)"
  titles["memory"] = "Memory of the runtime's own processes per idle container"
  printf "\n### %s\n\n", titles[s]
  head = "| benchmark"; rule = "|---"
  for (i = 1; i <= nenv; i++) { head = head " | " envname(envs[i]); rule = rule "|---:" }
  for (i = 3; i <= nenv; i++) { head = head " | " envname(envs[i]) "/runc"; rule = rule "|---:" }
  print head " | under runsc |"
  print rule "|---|"
}
function fmt(v, unit) {
  if (unit == "ns") return v < 1000 ? sprintf("%.0f ns", v) : v < 1e6 ? sprintf("%.2f µs", v / 1e3) : sprintf("%.2f ms", v / 1e6)
  if (unit == "ms") return v < 10 ? sprintf("%.2f ms", v) : sprintf("%.1f ms", v)
  if (unit == "mibs") return sprintf("%.0f MiB/s", v)
  if (unit == "kib") return sprintf("%.1f MiB", v / 1024)
  return sprintf("%d", v)
}
function cell(s, name, env, unit,   k) {
  k = s SUBSEP name SUBSEP env
  if (k in med) return fmt(med[k], unit) (unit == "count" || unit == "kib" ? "" : sprintf(" ±%.0f%%", spr[k]))
  if ((name, env) in skipped) return "skipped (" skipped[name, env] ")"
  return "–"
}
function ratio(s, name, env, unit,   a, b) {
  # Membership first: reading med[...] of a missing key would create it.
  if (!((s, name, env) in med) || !((s, name, "runc") in med) || unit == "count") return "–"
  a = med[s, name, env]; b = med[s, name, "runc"]
  if (unit == "mibs") return a ? sprintf("%.2f", b / a) : "–"
  return b ? sprintf("%.2f", a / b) : "–"
}
function envname(env) { return (env in label) ? label[env] : env }
