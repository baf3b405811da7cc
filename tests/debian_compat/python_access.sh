# Python's os.access with W_OK, as root and as nobody, on image storage, /tmp, a read-only mount
# (/in), /proc and a missing path.
. /in/common.sh
cat >/tmp/access.py <<'PY'
import os
for path in ["/", "/tmp", "/etc/passwd", "/usr/bin", "/var/lib/dpkg", "/in", "/proc/self/comm", "/missing"]:
    print(path, os.access(path, os.W_OK), os.access(path, os.R_OK | os.W_OK),
          os.access(path, os.W_OK, effective_ids=True), os.access(path, os.X_OK))
PY
python3 /tmp/access.py
echo 'as nobody:'
runuser -u nobody -- python3 /tmp/access.py
