# dpkg -i of local .debs copied into the container, then dpkg -r.
. /in/common.sh
cp /in/debs/runsc-test-y_1.0_all.deb /in/debs/runsc-test-x_1.0_all.deb /tmp/
step dpkg-i dpkg -i /tmp/runsc-test-y_1.0_all.deb /tmp/runsc-test-x_1.0_all.deb
dpkg-query -W -f '${Package} ${Version} ${Status}\n' runsc-test-x runsc-test-y
cat /usr/share/runsc-test/x.txt /var/lib/runsc-test/x.postinst
stat -c '%n %a %U %G' /usr/share/runsc-test/x.txt /var/lib/dpkg/status
step dpkg-r dpkg -r runsc-test-x
dpkg-query -W -f '${Package} ${Status}\n' runsc-test-x
step dpkg-audit dpkg --audit
ls /usr/share/runsc-test
