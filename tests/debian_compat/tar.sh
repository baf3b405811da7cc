# tar -x --same-owner -p of an archive of a tree (owners, modes, times, links, a read-only directory).
. /in/common.sh
make_tree /srv/src
tar --format=posix -C /srv/src -cf /tmp/tree.tar .  # pax: times to the nanosecond
mkdir /srv/dst
step tar-x tar -x --same-owner -p -f /tmp/tree.tar -C /srv/dst
same_tree tar-x /srv/src /srv/dst
step tar-x-again tar -x --same-owner -p -f /tmp/tree.tar -C /srv/dst
same_tree tar-x-again /srv/src /srv/dst
