#!/bin/sh
# workloads.sh: the file-heavy workloads of scripts/bench (issue 17), run inside the Debian rootfs
# under each environment. Every write lands in the rootfs (host storage: brokered under runsc), in
# a scratch dir removed at the end; dpkg's packages are purged again untimed, so every round starts
# from the same rootfs. Inputs: /root/runsc-bench-work (bench/lib/prepare.sh, prepare_workloads).
# `sh -c '... > /dev/null'` keeps the tools' chatter out of the records (about 1 ms per row).
set -e
W=/root/runsc-bench-work
T=/root/runsc-bench-scratch
rm -rf "$T"
mkdir -p "$T/x"
runsc-bench-micro spawn tar_x_5k 1 tar -xf "$W/files.tar" -C "$T/x"
runsc-bench-micro spawn rm_rf_5k 1 rm -rf "$T/x"
runsc-bench-micro spawn cp_a_usr 1 cp -a /usr "$T/usr"
rm -rf "$T/usr"
runsc-bench-micro spawn dpkg_i_3 1 sh -c "dpkg -i $W/debs/*.deb > /dev/null"
dpkg -P runsc-bench-a runsc-bench-b runsc-bench-c > /dev/null
runsc-bench-micro spawn git_clone_3k 1 git clone -q "$W/repo" "$T/clone"
runsc-bench-micro spawn git_status 3 sh -c "git -C $T/clone status > /dev/null"
rm -rf "$T"
