#!/usr/bin/env python3
"""make_config.py BASE OUT ROOTFS RO_SRC RW_SRC [--docker-seccomp PROFILE] -- ARGS...

Writes OUT, the battery's config.json: `runsc spec`'s config (BASE) as `docker run` would make it
for the same image, identical for every runtime: Docker's default capabilities and device rules,
no_new_privs unset (Docker's default), a writable root, a read-only bind at /mnt/ro and a
read-write one at /mnt/rw, and limits (256 MiB memory without swap, 512 pids, 1 CPU) so the
resource and info probes have a box to be measured against. --docker-seccomp adds Docker's
default seccomp profile (moby's profiles/seccomp/default.json, converted for these capabilities
the way Docker does) as linux.seccomp.
"""
import json
import sys

DOCKER_CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]

# Docker's default device rules (moby's oci/defaults.go): mknod of anything, use of the list only.
DOCKER_DEVICES = [{"allow": False, "access": "rwm"},
                  {"allow": True, "type": "c", "access": "m"},
                  {"allow": True, "type": "b", "access": "m"}] + [
    {"allow": True, "type": "c", "major": major, "minor": minor, "access": "rwm"}
    for major, minor in [(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (10, 200)]
] + [{"allow": True, "type": "c", "major": 136, "access": "rwm"}]  # no minor: any


def docker_to_oci(profile, caps):
    """Docker's default profile in OCI form for a container holding `caps`, on amd64."""
    oci = {"defaultAction": profile["defaultAction"], "architectures": [], "syscalls": []}
    if "defaultErrnoRet" in profile:
        oci["defaultErrnoRet"] = profile["defaultErrnoRet"]
    for arch in profile.get("archMap", []):
        if arch["architecture"] == "SCMP_ARCH_X86_64":
            oci["architectures"] = [arch["architecture"]] + arch["subArchitectures"]
    for call in profile["syscalls"]:
        inc, exc = call.get("includes", {}), call.get("excludes", {})
        if "amd64" in exc.get("arches", []) or any(c in caps for c in exc.get("caps", [])):
            continue
        if "arches" in inc and "amd64" not in inc["arches"]:
            continue
        if any(c not in caps for c in inc.get("caps", [])):
            continue
        rule = {k: call[k] for k in ("names", "action", "errnoRet", "args") if k in call}
        oci["syscalls"].append(rule)
    return oci


def main(argv):
    sep = argv.index("--")
    opts, args = argv[1:sep], argv[sep + 1:]
    base, out, rootfs, ro_src, rw_src = opts[:5]
    seccomp = opts[opts.index("--docker-seccomp") + 1] if "--docker-seccomp" in opts else None
    with open(base) as f:
        config = json.load(f)
    proc = config["process"]
    proc.update(terminal=False, args=args, noNewPrivileges=False)
    proc["capabilities"] = {k: list(DOCKER_CAPS) for k in ("bounding", "effective", "permitted")}
    config["root"] = {"path": rootfs, "readonly": False}
    config["mounts"] += [
        {"destination": "/mnt/ro", "type": "bind", "source": ro_src, "options": ["rbind", "ro"]},
        {"destination": "/mnt/rw", "type": "bind", "source": rw_src, "options": ["rbind", "rw"]},
    ]
    linux = config["linux"]
    linux["resources"] = {
        "devices": DOCKER_DEVICES,
        "memory": {"limit": 256 << 20, "swap": 256 << 20},
        "pids": {"limit": 512},
        "cpu": {"quota": 100000, "period": 100000},
    }
    if seccomp:
        with open(seccomp) as f:
            linux["seccomp"] = docker_to_oci(json.load(f), DOCKER_CAPS)
    with open(out, "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    main(sys.argv)
