#!/bin/sh
# make_rootfs.sh BUSYBOX PAYLOAD ROOTFS: builds a busybox-static rootfs with the test payload.
# Idempotent; the rootfs is replaced atomically-enough (built beside it, then renamed).
set -eu
busybox=$1 payload=$2 rootfs=$3
tmp="$rootfs.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp/bin" "$tmp/sbin" "$tmp/usr/bin" "$tmp/usr/sbin" "$tmp/proc" "$tmp/sys" \
  "$tmp/dev" "$tmp/tmp" "$tmp/etc" "$tmp/root" "$tmp/mnt" "$tmp/var"
chmod 1777 "$tmp/tmp"
cp "$busybox" "$tmp/bin/busybox"
cp "$payload" "$tmp/bin/payload"
# Same layout as `busybox --install -s`, but relative links so it works from the host side too.
for applet in $("$busybox" --list-full); do
  case "$applet" in bin/busybox) continue ;; esac
  dir=$(dirname "$applet")
  up=$(echo "$dir" | sed 's#[^/][^/]*#..#g')
  [ -e "$tmp/$applet" ] || ln -s "$up/bin/busybox" "$tmp/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$tmp/etc/passwd"
echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$tmp/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' > "$tmp/etc/group"
rm -rf "$rootfs"
mv "$tmp" "$rootfs"
