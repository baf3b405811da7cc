# git init, add, commit, gc, fsck and clone (lock files, renames, read-only object files).
. /in/common.sh
git config --global user.email runsc@example.org
git config --global user.name 'runsc test'
git config --global init.defaultBranch main
step git-init git init -q /srv/repo
cd /srv/repo
echo hello >a
mkdir d
echo '#!/bin/sh' >d/run
chmod 0755 d/run
step git-add git add -A
step git-commit git commit -q -m first
git log --format='%s by %an'
git ls-files -s
echo more >>a
step git-commit-a git commit -q -a -m second
step git-gc git gc -q
step git-fsck git fsck --strict
step git-clone git clone -q /srv/repo /srv/clone
cat /srv/clone/a
stat -c '%n %a' /srv/clone/d/run
