# CPython's OS-facing test suites (libpython3.11-testsuite), then one line per test case:
# "<id> passed|skipped|failed|error" from regrtest's JUnit XML, sorted, into /out/cases.txt, and
# regrtest's exit status into /out/status.txt. Runs as root, serially, in /tmp.
cd /tmp || exit 1
python3 -m test --junit-xml /tmp/cpython.xml --timeout 900 \
  test_os test_shutil test_posix test_stat test_tempfile test_pathlib test_tarfile test_zipfile \
  test_io test_fileio test_glob test_filecmp >/out/regrtest.log 2>&1
echo $? >/out/status.txt
python3 - <<'PY' >/out/cases.txt
import xml.etree.ElementTree as ET
lines = []
for case in ET.parse("/tmp/cpython.xml").iter("testcase"):
    outcome = "passed"
    for child in case:
        if child.tag in ("failure", "error", "skipped"):
            outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
    name = case.get("name")
    if case.get("classname") and not name.startswith(case.get("classname")):
        name = case.get("classname") + "." + name
    lines.append(f"{name} {outcome}")
print("\n".join(sorted(lines)))
PY
