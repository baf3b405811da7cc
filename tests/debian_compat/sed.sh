# sed -i on a file of the image and on a file the container made: the new file keeps the old
# one's owner and mode.
. /in/common.sh
printf 'alpha\nbeta\n' >/etc/runsc-sed
chown 0:42 /etc/runsc-sed
chmod 0640 /etc/runsc-sed
step sed-i sed -i 's/alpha/gamma/' /etc/runsc-sed
cat /etc/runsc-sed
stat -c '%n %a %U %G' /etc/runsc-sed
step sed-i-image sed -i 's/^/# /' /etc/issue.net
cat /etc/issue.net
stat -c '%n %a %U %G' /etc/issue.net
step sed-i-backup sed -i.orig 's/bookworm/trixie/' /etc/os-release
grep -c trixie /etc/os-release /etc/os-release.orig
