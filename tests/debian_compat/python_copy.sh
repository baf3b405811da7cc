# shutil.copytree (copy2: copystat, modes, times, xattrs) and shutil.copystat onto existing files.
. /in/common.sh
make_tree /srv/src
cat >/tmp/copy.py <<'PY'
import os, shutil, stat

def describe(root):
    lines = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            xattrs = sorted(os.listxattr(path, follow_symlinks=False)) if not stat.S_ISLNK(st.st_mode) else []
            lines.append((os.path.relpath(path, root), oct(st.st_mode), st.st_mtime_ns, xattrs))
    return sorted(lines)

try:
    os.setxattr("/srv/src/file", "user.runsc", b"kept")
    print("setxattr ok")
except OSError as e:
    print("setxattr", e.errno)
shutil.copytree("/srv/src", "/srv/dst", symlinks=True)
print("copytree", "same" if describe("/srv/src") == describe("/srv/dst") else describe("/srv/dst"))
with open("/srv/plain", "w") as f:
    f.write("x")
os.chmod("/srv/plain", 0o644)
shutil.copystat("/srv/src/sub/private", "/srv/plain")
st = os.stat("/srv/plain")
print("copystat", oct(st.st_mode), st.st_mtime_ns)
shutil.copystat("/srv/src/file", "/srv/plain")
print("copystat xattr", os.getxattr("/srv/plain", "user.runsc") if "user.runsc" in os.listxattr("/srv/plain") else None)
shutil.copy2("/srv/src/sub/deep/readonly", "/srv/readonly-copy")
st = os.stat("/srv/readonly-copy")
print("copy2", oct(st.st_mode), st.st_mtime_ns)
shutil.rmtree("/srv/dst")
print("rmtree", os.path.exists("/srv/dst"))
PY
python3 /tmp/copy.py
