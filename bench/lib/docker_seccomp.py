#!/usr/bin/env python3
"""docker_seccomp.py CONFIG PROFILE: adds Docker's default seccomp profile (PROFILE, moby's
profiles/seccomp/default.json) to the OCI config.json CONFIG as linux.seccomp, converted the way
Docker converts it for the container's bounding capabilities on amd64 (bench/security/
make_config.py's docker_to_oci). gbench.sh's runc-docker and runsc-docker environments use it:
issue 17's goal "passthrough ≤ runc with Docker's default profile" compares those two."""
import json
import os
import sys

sys.dont_write_bytecode = True  # it imports from bench/security: leave no __pycache__ in the tree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "security"))
from make_config import docker_to_oci  # noqa: E402


def main(config_path, profile_path):
    with open(config_path) as f:
        config = json.load(f)
    with open(profile_path) as f:
        profile = json.load(f)
    caps = config["process"].get("capabilities", {}).get("bounding", [])
    config.setdefault("linux", {})["seccomp"] = docker_to_oci(profile, caps)
    with open(config_path, "w") as f:
        json.dump(config, f, indent=1)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: docker_seccomp.py CONFIG PROFILE")
    main(sys.argv[1], sys.argv[2])
