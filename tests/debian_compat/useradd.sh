# useradd, groupadd, usermod, chpasswd, userdel: the shadow tools lock, copy and rename /etc files.
. /in/common.sh
step useradd useradd -m -s /bin/bash -u 1234 -U alice
step groupadd groupadd -g 2345 staffers
step usermod usermod -aG staffers alice
id alice
getent passwd alice
getent group staffers
stat -c '%n %a %U %G' /home/alice /home/alice/.bashrc /etc/passwd /etc/shadow /etc/group /etc/gshadow
grep '^alice:' /etc/shadow | cut -d: -f1,2
step chpasswd sh -c 'echo alice:secret | chpasswd'
grep -c '^alice:\$' /etc/shadow
step userdel userdel -r alice
getent passwd alice || echo 'alice gone'
ls /home
ls /etc/passwd- /etc/shadow- /etc/group-
