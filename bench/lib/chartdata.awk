# chartdata.awk -v section=S -v scale=X -v envlist="native runc crun runsc [runsc-gofer]": rows.tsv
# + stats to a gnuplot table "label <one column per env>" of medians times X ("-" when missing).
BEGIN { FS = "\t"; nenv = split(envlist, envs, " ") }
FILENAME == ARGV[1] { med[$1, $2, $3] = $4; next }
/^#/ || $1 != section || $4 == "count" { next }  # counts do not share an axis with sizes
{
  line = "\"" $3 "\""; found = 0
  for (i = 1; i <= nenv; i++) {
    k = $1 SUBSEP $2 SUBSEP envs[i]
    if (k in med) found = 1
    line = line "\t" ((k in med) ? med[k] * scale : "-")
  }
  if (found) print line  # rows that did not run (e.g. --quick) are left out
}
