# apt-get install from a local file repository (deb [trusted=yes] file:/in/repo ./): pulls in the
# dependency, then purges with autoremove.
. /in/common.sh
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
echo 'deb [trusted=yes] file:/in/repo ./' >/etc/apt/sources.list.d/local.list
step apt-get-update apt-get update
step apt-get-install apt-get install -y runsc-test-x
dpkg-query -W -f '${Package} ${Version} ${Status}\n' runsc-test-x runsc-test-y
echo "auto: $(apt-mark showauto | grep runsc-test)"
cat /var/lib/runsc-test/y.postinst
step apt-get-purge apt-get purge -y --autoremove runsc-test-x
dpkg-query -W -f '${Package} ${Status}\n' runsc-test-x runsc-test-y
step apt-get-check apt-get check
