# Sourced by each scenario of tests/debian_compat_test.cc. Every line a scenario prints must be the
# same under runc and runsc: steps print "NAME ok" or "NAME FAILED <status>" and the tail of their
# output (never timings); listings leave out what differs between two runs (inode numbers, ctimes).
set -u
export HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive

# step NAME COMMAND...: runs COMMAND, its output to /tmp/step.log.
step() {
  local name=$1
  shift
  if "$@" >/tmp/step.log 2>&1; then
    echo "$name ok"
  else
    echo "$name FAILED $?"
    tail -n 8 /tmp/step.log
  fi
}

# listing DIR: one line per entry: path, type, mode, owner, group, links, size (not of
# directories: it depends on the filesystem), mtime, symlink target; sorted.
listing() {
  (cd "$1" && find . ! -type d -printf '%p %y %m %U %G %n %s %T@ %l\n' &&
    find . -type d -printf '%p %y %m %U %G %T@\n') | sort
}

# same_tree NAME A B: "NAME same" if the listings of A and B are equal, else the difference.
same_tree() {
  if diff <(listing "$2") <(listing "$3") >/tmp/diff.log; then
    echo "$1 same"
  else
    echo "$1 differs"
    head -n 20 /tmp/diff.log
  fi
}

# make_tree DIR: what archivers must keep: owners, set-gid and private modes, a read-only
# directory with contents, a symlink, a hard link, times to the nanosecond.
make_tree() {
  mkdir -p "$1/sub/deep"
  echo hello >"$1/file"
  echo secret >"$1/sub/private"
  echo ro >"$1/sub/deep/readonly"
  ln -s ../file "$1/sub/link"
  ln "$1/file" "$1/hard"
  chown 1000:1000 "$1/sub/private"
  chmod 0600 "$1/sub/private"
  chown 1:1 "$1/sub"
  chmod 2775 "$1/sub"
  chmod 0444 "$1/sub/deep/readonly"
  chmod 0555 "$1/sub/deep"
  find "$1" -exec touch -h -d '2001-02-03 04:05:06.123456789' {} +
}
