#!/usr/bin/env python3
"""report.py: the Google Benchmark JSON of bench/lib/gbench.sh to markdown (and a TSV).

Input: --json-dir with one <env>-<round>.json per run (--benchmark_format=json, repetitions on).
Every per-repetition entry (run_type "iteration") of every round is pooled per (benchmark, env);
a cell is the median real time per operation ± half the interquartile range relative to it.
"""
import argparse
import glob
import json
import os
import statistics
import sys

from report_fs import FsSection

ENVS = ["native", "runc", "runsc", "runsc-ptrace"]  # runsc-ptrace: runsc --platform ptrace
# runc and runsc with Docker's default seccomp profile in config.json: passthrough rows only.
DOCKER_ENVS = ["runc-docker", "runsc-docker"]
PASSTHROUGH = ("BM_Getpid", "BM_Write1", "BM_Stat", "BM_Read4k")
# benchmark -> (label, disposition under runsc)
ROWS = {
    "BM_Getpid": ("getpid (raw syscall)", "passthrough (BPF allow)"),
    "BM_Uname": ("uname", "emulated (USER_NOTIF → sentry; no release configured: the kernel answers, CONTINUE)"),
    "BM_Sysinfo/real_time": ("sysinfo", "emulated (USER_NOTIF → sentry reads the cgroup, writes the answer into the caller)"),
    "BM_DeniedKeyctl": ("denied call (keyctl, invalid op)", "denied via the sentry (USER_NOTIF → EPERM, counted)"),
    "BM_Write1": ("write 1 byte (/dev/null)", "passthrough"),
    "BM_Stat": ("stat (rootfs file)", "passthrough"),
    "BM_Read4k": ("4 KiB pread (page cache)", "passthrough"),
    "BM_ReadProcMeminfo": ("cat /proc/meminfo (open, read to EOF, close)",
                           "runsc: the virtual file (FUSE, served by the gofer); native/runc: procfs"),
    "BM_NotifRoundTrip": ("bare USER_NOTIF round trip, answered by a thread", "not possible: the sentry holds the listener"),
    "BM_NotifRoundTripProcess": ("bare USER_NOTIF round trip, answered by a process (sync wake-up)",
                                 "not possible: the sentry holds the listener"),
}
# The floors: the process one has the sentry's shape (another process, SYNC_WAKE_UP set).
FLOORS = (("BM_NotifRoundTripProcess", "answered by another process that sets SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, "
           "as the sentry is and does"),
          ("BM_NotifRoundTrip", "answered by another thread of the program, no sync wake-up"))
HEADING = "### Syscall costs (Google Benchmark)"


def load(json_dir):
    """Returns samples[(bench, env)] -> [ns], errors[(bench, env)] -> msg, labels[(bench, env)]."""
    samples, errors, labels, runs, cpu = {}, {}, {}, {}, {}
    for path in sorted(glob.glob(os.path.join(json_dir, "*.json"))):
        env = os.path.basename(path).rsplit("-", 1)[0]
        try:
            with open(path) as f:
                data = json.load(f)
        except (OSError, ValueError) as e:
            print(f"report.py: {path}: {e}", file=sys.stderr)
            continue
        runs[env] = runs.get(env, 0) + 1
        for b in data.get("benchmarks", []):
            if b.get("run_type", "iteration") != "iteration":
                continue
            key = (b.get("run_name", b["name"]), env)
            if b.get("error_occurred"):
                errors[key] = b.get("error_message", "error")
                continue
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
            samples.setdefault(key, []).append(b["real_time"] * scale)
            cpu.setdefault(key, []).append(b["cpu_time"] * scale)
            if b.get("label"):
                labels[key] = b["label"]
    return samples, errors, labels, runs, cpu


def stats(values):
    values = sorted(values)
    med = statistics.median(values)
    if len(values) >= 4:
        q = statistics.quantiles(values, n=4)
        spread = (q[2] - q[0]) / 2 / med * 100 if med else 0
    else:
        spread = (values[-1] - values[0]) / 2 / med * 100 if med else 0
    return med, spread


def fmt_ns(v):
    return f"{v:.0f} ns" if v < 1000 else f"{v / 1e3:.2f} µs"


class Report:
    def __init__(self, samples, errors, labels):
        self.samples, self.errors, self.labels = samples, errors, labels
        self.med = {k: stats(v)[0] for k, v in samples.items()}

    def cell(self, bench, env):
        key = (bench, env)
        if key in self.samples:
            med, spread = stats(self.samples[key])
            label = f" ({self.labels[key]})" if key in self.labels else ""
            return f"{fmt_ns(med)} ±{spread:.0f}%{label}"
        if key in self.errors:
            return "skipped"
        return "–"

    def ratio(self, bench, env, base):
        a, b = self.med.get((bench, env)), self.med.get((bench, base))
        return f"{a / b:.2f}" if a and b else "–"

    def table(self):
        out = ["| benchmark | native ns/op | runc ns/op | runsc ns/op | runsc (ptrace) ns/op | runsc/native | "
               "runsc/runc | ptrace/native | ptrace/runc | under runsc |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for bench, (label, disp) in ROWS.items():
            cells = " | ".join(self.cell(bench, env) for env in ENVS)
            ratios = " | ".join(self.ratio(bench, env, base) for env in ("runsc", "runsc-ptrace")
                                for base in ("native", "runc"))
            out.append(f"| {label} | {cells} | {ratios} | {disp} |")
        return out

    def docker_profile(self):
        """The passthrough rows with Docker's default profile loaded by both runtimes (issue 17's
        goal: runsc ≤ runc there), beside the same rows without it; [] when not measured."""
        if not any((b, "runsc-docker") in self.med for b in PASSTHROUGH):
            return []
        out = ["### Passthrough calls with Docker's default seccomp profile", "",
               "runc and runsc with moby's default profile as `linux.seccomp` (converted for the bench's "
               "capabilities, as Docker does; bench/lib/docker_seccomp.py): runc installs that filter, runsc "
               "installs it beside its own. Goal: runsc ≤ runc with the profile, ≤ 1.05 × runc without.", "",
               "| benchmark | runc | runc + profile | runsc | runsc + profile | runsc/runc, both with the "
               "profile | runsc/runc, no profile | goal with the profile (≤ 1.00) |",
               "|---|---:|---:|---:|---:|---:|---:|---|"]
        for bench in PASSTHROUGH:
            cells = " | ".join(self.cell(bench, env) for env in ("runc", "runc-docker", "runsc", "runsc-docker"))
            a, b = self.med.get((bench, "runsc-docker")), self.med.get((bench, "runc-docker"))
            verdict = "–"
            if a and b:
                noise = max(stats(self.samples[(bench, env)])[1] for env in ("runc-docker", "runsc-docker"))
                verdict = ("met" if a / b <= 1.0 else f"within this run's noise (±{noise:.0f}%)"
                           if a / b <= 1 + noise / 100 else "not met")
            out.append(f"| {ROWS[bench][0]} | {cells} | {self.ratio(bench, 'runsc-docker', 'runc-docker')} | "
                       f"{self.ratio(bench, 'runsc', 'runc')} | {verdict} |")
        return out + [""]

    def floor(self):
        """The reference floor (the process one when measured), its benchmark, and getpid natively."""
        for bench, _ in FLOORS:
            if self.med.get((bench, "native")):
                return self.med[(bench, "native")], bench, self.med.get(("BM_Getpid", "native"))
        return None, None, self.med.get(("BM_Getpid", "native"))

    def floor_lines(self):
        m = self.med
        out = []
        for bench, how in FLOORS:
            value, runc = m.get((bench, "native")), m.get((bench, "runc"))
            if not value:
                continue
            runc_txt = f" (under runc: {fmt_ns(runc)})" if runc else ""
            out.append(f"- **USER_NOTIF floor, {how}**: {fmt_ns(value)} natively{runc_txt}. Inside runsc the "
                       f"program cannot install its own listener "
                       f"(`{self.errors.get((bench, 'runsc'), 'not run')}`).")
        floor, floor_bench, getpid = self.floor()
        for bench, what in (("BM_Uname", "uname (kernel answers)"), ("BM_Sysinfo", "emulated sysinfo (written by the sentry)"),
                            ("BM_DeniedKeyctl", "denied keyctl")):
            sandboxed, native = m.get((bench, "runsc")), m.get((bench, "native"))
            if not (floor and sandboxed and native and getpid):
                continue
            out.append(f"- **{what}** under runsc (target: one round trip): {fmt_ns(sandboxed)} = {sandboxed / floor:.2f} × the "
                       f"process floor ({'+' if sandboxed >= floor else '−'}{fmt_ns(abs(sandboxed - floor))}); "
                       f"{fmt_ns(sandboxed - native)} over the native call, against "
                       f"{fmt_ns(floor - getpid)} for the floor over a plain syscall "
                       f"({(sandboxed - native) / (floor - getpid):.2f} round trips).")
        for bench, what in (("BM_Uname", "uname"), ("BM_Sysinfo/real_time", "sysinfo"),
                            ("BM_DeniedKeyctl", "denied keyctl")):
            notify, ptrace, runc = m.get((bench, "runsc")), m.get((bench, "runsc-ptrace")), m.get((bench, "runc"))
            if notify and ptrace and runc:
                out.append(f"- **{what}** under runsc --platform ptrace: {fmt_ns(ptrace)}, {ptrace / notify:.2f} × "
                           f"seccomp-notify's {fmt_ns(notify)} ({fmt_ns(ptrace - runc)} over runc's call)")
        for bench in ("BM_Getpid", "BM_Stat", "BM_Read4k"):
            a, b = m.get((bench, "runsc")), m.get((bench, "runc"))
            if a and b:
                verdict = "meets" if a / b <= 1.05 else "misses"
                spreads = ", ".join(f"{env} ±{stats(self.samples[(bench, env)])[1]:.0f}%" for env in ("runc", "runsc"))
                out.append(f"- passthrough {ROWS[bench][0]}: runsc/runc = {a / b:.2f}: {verdict} the ≤1.05 target "
                           f"on medians, within this run's noise ({spreads})")
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json-dir", required=True)
    ap.add_argument("--machine", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--command", required=True)
    ap.add_argument("--md", required=True)
    ap.add_argument("--tsv", required=True)
    ap.add_argument("--readme-fragment", required=True)
    args = ap.parse_args()

    samples, errors, labels, runs, cpu = load(args.json_dir)
    rep = Report(samples, errors, labels)
    with open(args.machine) as f:
        machine = f.read().rstrip("\n").splitlines()

    about = [
        "Each cell: median real time per operation over every repetition of every round, ± half the "
        "interquartile range relative to the median. Ratios are cost ratios (>1: slower). \"native\" is "
        "the same binary in a chroot of the same Debian rootfs with the host's /proc mounted (no namespaces, "
        "cgroups or seccomp); "
        "runc runs the bench's config.json, which has **no seccomp profile** (so runc installs no filter "
        "at all), while runsc loads the sentry's full syscall-table filter. \"runsc (ptrace)\" is runsc "
        "--platform ptrace: the same filter, whose trapped rows stop the caller for the sentry's tracer "
        "(SECCOMP_RET_TRACE) instead of a USER_NOTIF round trip; passthrough rows never reach it. "
        "The machine is shared with "
        "other test runs and syscalls are slow on it (~1 µs): compare columns, not absolute numbers. "
        "Real (wall) time, not CPU time: a trapped call's cost is mostly spent in another thread or the "
        "sentry, which the calling thread's CPU time leaves out (both are in the TSV). Debian's "
        "libbenchmark warns it was built as DEBUG; the timed loop is inlined from the header, so that "
        "does not touch the measurement.",
    ]
    skipped = sorted({f"- {b} under {e}: {msg}" for (b, e), msg in errors.items()})
    table = rep.table()
    floor = rep.floor_lines()
    floor_native, _, getpid_native = rep.floor()
    fs_section = FsSection(samples, errors, fmt_ns, rep.cell)
    floor_extra = floor_native - getpid_native if floor_native and getpid_native else None
    fs = fs_section.section(floor_extra)

    md = [f"# runsc syscall costs (Google Benchmark), {args.name.removesuffix('-gbench')}", "",
          f"Generated by `{args.command}` (bench/lib/gbench.sh, bench/gbench/syscall_bench.cc); "
          f"per-repetition values in [{args.name}.tsv]({args.name}.tsv). Runs per environment: "
          + ", ".join(f"{e} {runs.get(e, 0)}" for e in ENVS + DOCKER_ENVS) + ".", ""]
    md += machine + [""] + about + [""] + table + [""] + rep.docker_profile()
    md += ["### Trapped calls against the USER_NOTIF floor", ""]
    md += floor + [""] + fs
    if skipped:
        md += ["### Skipped or failed", ""] + skipped + [""]
    md += ["### What each benchmark measures", "",
           "- getpid: raw `syscall(SYS_getpid)`, the cost of entering the kernel (and, under runsc, of the "
           "filter's BPF).",
           "- uname: `uname(2)`; under runsc it traps to the sentry, which lets the kernel answer (CONTINUE) "
           "unless `--kernel-release` is set: the kernel's answer in the container's uts namespace is the view.",
           "- sysinfo: `sysinfo(2)`; under runsc the sentry reads the container's cgroup (memory limit and "
           "usage, process count; the visible CPUs for the loads) and writes the answer into the caller "
           "(open /proc/<tid>/mem, ID_VALID, pwrite).",
           "- denied call: `keyctl(-1, …)`, an invalid operation: EOPNOTSUPP from the kernel natively and "
           "under runc, EPERM from the sentry under runsc (which counts it); the errno is in parentheses.",
           "- stat: `stat(2)` of a 1 MiB file in the rootfs' /tmp; 4 KiB pread: `pread` walking that "
           "file, in the page cache.",
           "- bare USER_NOTIF round trips (bench/gbench/notify_floor.cc): getppid sent by the program's own "
           "one-rule filter to a listener and answered (ioctl RECV + SEND) by another of its threads, or by "
           "a forked process that sets the sync wake-up as the sentry does: the floor of any trapped call. "
           "The process floor is the reference: the sentry is another process by design. Registered "
           "last, since the filter stays on the main thread.",
           "- design floor of a brokered call (BM_BrokerFloorRename): the same process answers only after "
           "a third process (the \"gofer\") has renamed a file for it over a socketpair; see the brokered "
           "section.",
           "- the brokered-call rows: see their section above (bench/gbench/fs_bench.cc).", ""]
    with open(args.md, "w") as f:
        f.write("\n".join(md))

    with open(args.tsv, "w") as f:
        f.write("benchmark\tenv\treal_ns_per_op\tcpu_ns_per_op\n")
        for (bench, env), values in sorted(samples.items()):
            for v, c in zip(values, cpu[(bench, env)]):
                f.write(f"{bench}\t{env}\t{v:.2f}\t{c:.2f}\n")

    frag = [HEADING, "",
            "The sentry now intercepts: uname/sysinfo are emulated over USER_NOTIF, EPERM denials "
            "(keyctl, …) are answered and counted by the sentry, and everything else in the table's "
            "allowlist passes through the filter to the kernel. "
            f"`./scripts/bench --gbench-only` measures one system call of each kind with Google Benchmark, "
            f"natively, under runc and under runsc (seccomp-notify and ptrace) in one run (latest: "
            f"[bench/results/{args.name}.md](bench/results/{args.name}.md)); runc runs without a seccomp "
            f"profile in the main table (its own table has both runtimes with Docker's default profile), "
            f"and the machine is shared, so these are ratios from one run, not absolutes.",
            ""] + machine + [""] + table + [""] + rep.docker_profile() + floor + [""] + fs_section.section(floor_extra, heading=False)
    with open(args.readme_fragment, "w") as f:
        f.write("\n".join(frag) + "\n")


if __name__ == "__main__":
    main()
