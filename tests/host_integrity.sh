#!/bin/sh
# host_integrity.sh snapshot|check FILE: the host-integrity guard around the whole ctest run.
# `snapshot` records the identity (dev/ino), owner, mode and ctime of host inodes a container must
# never change (the shared device nodes a runtime binds or masks with, a few host files) in FILE;
# `check` fails, printing the difference, if any of them changed since. Writes and reads of these
# files do not move ctime; only attribute changes (chmod, chown, utimes, rename over) do.
# /tmp's ctime moves with every file made in it, so only its identity, owner and mode are kept.
set -eu
usage() { echo "usage: $0 snapshot|check FILE" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1 file=$2

record() {
  for path in /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty \
              /etc/passwd /etc/group /etc/hosts /etc/resolv.conf /etc/hostname; do
    if [ -e "$path" ]; then
      stat -L -c '%n dev=%d ino=%i uid=%u gid=%g mode=%f ctime=%.9Z' "$path"
    else
      echo "$path absent"
    fi
  done
  stat -L -c '%n dev=%d ino=%i uid=%u gid=%g mode=%f' /tmp
}

case "$action" in
  snapshot)
    record > "$file.tmp"
    mv "$file.tmp" "$file"
    echo "host integrity: recorded $(wc -l < "$file") inodes in $file"
    ;;
  check)
    [ -f "$file" ] || { echo "host integrity: no snapshot $file (did host_integrity_snapshot run?)" >&2; exit 1; }
    if ! record | diff -u "$file" - ; then
      echo "host integrity: FAILED: a host inode changed during the test run (lines above: - before, + after)" >&2
      exit 1
    fi
    echo "host integrity: $(wc -l < "$file") host inodes unchanged"
    ;;
  *) usage ;;
esac
