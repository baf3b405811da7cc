# cp -a of a tree (owners, modes, times, links, a read-only directory), on the image's storage.
. /in/common.sh
make_tree /srv/src
step cp-a cp -a /srv/src /srv/dst
same_tree cp-a /srv/src /srv/dst
step cp-a-onto cp -a /srv/src/. /srv/dst/
same_tree cp-a-onto /srv/src /srv/dst
step cp-p cp -p /srv/src/sub/private /srv/private
stat -c '%n %a %U %G %Y' /srv/private
