# stats.awk: raw records (section, name, env, value), sorted by key then value, to
# "section name env median p25 p75 n" per key. Quantiles interpolate linearly.
BEGIN { FS = OFS = "\t" }
function flush(   med, lo, hi) {
  if (n == 0) return
  print key_s, key_n, key_e, q(0.5), q(0.25), q(0.75), n
  n = 0
}
function q(p,   pos, i, f) {
  pos = 1 + p * (n - 1); i = int(pos); f = pos - i
  return i >= n ? v[n] : v[i] + f * (v[i + 1] - v[i])
}
$1 == "skip" { next }
{
  k = $1 SUBSEP $2 SUBSEP $3
  if (k != last) { flush(); last = k; key_s = $1; key_n = $2; key_e = $3 }
  v[++n] = $4 + 0
}
END { flush() }
