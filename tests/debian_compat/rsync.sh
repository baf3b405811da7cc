# rsync -a (with -H for the hard link) of a tree, then an update.
. /in/common.sh
command -v rsync >/dev/null || { echo 'rsync is not installed'; exit 0; }
make_tree /srv/src
step rsync-a rsync -aH /srv/src/ /srv/dst/
same_tree rsync-a /srv/src /srv/dst
chmod 0755 /srv/src/sub/deep
echo changed >/srv/src/sub/deep/new
find /srv/src -exec touch -h -d '2002-03-04 05:06:07.5' {} +
step rsync-a-update rsync -aH --delete /srv/src/ /srv/dst/
same_tree rsync-a-update /srv/src /srv/dst
