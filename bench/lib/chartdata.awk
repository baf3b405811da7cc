# chartdata.awk -v section=S -v scale=X: rows.tsv + stats to a gnuplot table
# "label native runc crun runsc" of medians times X ("-" when missing).
BEGIN { FS = "\t"; split("native runc crun runsc", envs, " ") }
FILENAME == ARGV[1] { med[$1, $2, $3] = $4; next }
/^#/ || $1 != section { next }
{
  line = "\"" $3 "\""; found = 0
  for (i = 1; i <= 4; i++) {
    k = $1 SUBSEP $2 SUBSEP envs[i]
    if (k in med) found = 1
    line = line "\t" ((k in med) ? med[k] * scale : "-")
  }
  if (found) print line  # rows that did not run (e.g. --quick) are left out
}
