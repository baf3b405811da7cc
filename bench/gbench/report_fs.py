"""report_fs.py: the "Brokered calls" section of report.py (rows of bench/gbench/fs_bench.cc).

Targets (issue 5): a brokered call costs at most 5x the native call; an unbrokered (native-path)
call is within 5% of runc. Each verdict is given on the medians and against the noise: the ratio
range runs from the faster quartile of one side over the slower quartile of the other, and a
target inside that range is "not resolved by this run", not met or missed.
"""
import statistics

BROKER_TARGET = 5.0    # runsc / native, brokered calls
NATIVE_TARGET = 1.05   # runsc / runc, native-path calls

# benchmark suffix -> (label, trapped calls per op under runsc on host storage, what one op is)
FS_ROWS = {
    "BM_CreateWrite4k": ("create+write 4 KiB+close", 1,
                         "open(O_CREAT|O_EXCL) of a new file, write 4 KiB, close; unlinked in batches of "
                         "256 with the timer paused"),
    "BM_MkdirRmdir": ("mkdir+rmdir (pair)", 2, "mkdir then rmdir of one directory: one op is the pair"),
    "BM_Rename": ("rename", 1, "rename a→b, the next op b→a: one op is one rename"),
    "BM_Unlink": ("unlink", 1, "unlink of an empty file made in batches of 256 with the timer paused"),
    "BM_FsStat": ("stat", 0, "stat of a file in the scratch directory"),
    "BM_OpenRdonly": ("open(O_RDONLY)+close", 0, "open read-only and close that file"),
}
WHERE = {
    "rootfs": "rootfs /tmp (ext4, host-backed)",
    "tmpfs": "tmpfs mount",
}


def quartiles(values):
    values = sorted(values)
    if len(values) >= 4:
        q = statistics.quantiles(values, n=4)
        return q[0], statistics.median(values), q[2]
    return values[0], statistics.median(values), values[-1]


def fs_key(bench, where):
    return f"{bench}/{where}/real_time"


def fs_row_names():
    """The fs rows' benchmark names, for the main table's ordering."""
    return [fs_key(b, w) for w in WHERE for b in FS_ROWS]


class FsSection:
    """Tables and verdicts for the fs rows from report.Report's samples."""

    def __init__(self, samples, errors, fmt_ns, cell):
        self.samples, self.errors, self.fmt_ns, self.cell = samples, errors, fmt_ns, cell

    def q(self, bench, env):
        values = self.samples.get((bench, env))
        return quartiles(values) if values else None

    def verdict(self, bench, env, base, target):
        """(median ratio, text) of env/base against target, or None."""
        a, b = self.q(bench, env), self.q(bench, base)
        if not (a and b):
            return None
        ratio, lo, hi = a[1] / b[1], a[0] / b[2], a[2] / b[0]
        if hi <= target:
            text = "**met**"
        elif lo > target:
            text = "**not met**"
        else:
            text = f"not resolved by this run ({'met' if ratio <= target else 'missed'} on medians)"
        return ratio, f"{text}; quartile range {lo:.2f}–{hi:.2f}"

    def table(self, where):
        out = [f"| call ({WHERE[where]}) | native | runc | runsc | runsc (ptrace) | runsc/native | runsc/runc | "
               "ptrace/native | target (runsc): verdict |",
               "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for bench, (label, trapped, _) in FS_ROWS.items():
            key = fs_key(bench, where)
            cells = " | ".join(self.cell(key, env) for env in ("native", "runc", "runsc", "runsc-ptrace"))
            n = self.verdict(key, "runsc", "native", BROKER_TARGET)
            r = self.verdict(key, "runsc", "runc", NATIVE_TARGET)
            ratios = f"{n[0]:.2f} | {r[0]:.2f}" if n and r else "– | –"
            p = self.verdict(key, "runsc-ptrace", "native", BROKER_TARGET)
            ratios += f" | {p[0]:.2f}" if p else " | –"
            if trapped:
                target = f"runsc/native ≤ {BROKER_TARGET:g}: {n[1]}" if n else "–"
            else:
                target = f"runsc/runc ≤ {NATIVE_TARGET:g}: {r[1]}" if r else "–"
            out.append(f"| {label} | {cells} | {ratios} | {target} |")
        return out

    def time_lines(self, floor_extra):
        """Where the brokered time goes: runsc's extra time per trapped call, against runc (the
        same namespaces and mounts, no filter) and in units of the USER_NOTIF floor."""
        out = []
        for where in WHERE:
            for bench, (label, trapped, _) in FS_ROWS.items():
                key = fs_key(bench, where)
                s, c, n = self.q(key, "runsc"), self.q(key, "runc"), self.q(key, "native")
                if not (trapped and s and c and n):
                    continue
                extra = (s[1] - c[1]) / trapped
                if extra <= 0:
                    out.append(f"- {label}, {where}: runsc was faster than runc on medians: the call's own "
                               f"noise ({self.fmt_ns(n[1] / trapped)} natively per call) hides the broker's cost")
                    continue
                floors = f" = {extra / floor_extra:.1f} × the floor's {self.fmt_ns(floor_extra)}" if floor_extra else ""
                out.append(f"- {label}, {where}: runsc − runc = {self.fmt_ns(extra)} per trapped call{floors}; "
                           f"the call itself costs {self.fmt_ns(n[1] / trapped)} natively")
        return out

    def design_floor_lines(self):
        """The design's floor (bench/gbench/notify_floor.cc): a trapped call answered by one process
        after a second has renamed the file, nothing else; against the native rename."""
        out = []
        for where in WHERE:
            native = self.q(fs_key("BM_Rename", where), "native")
            for variant, how in (("", "both sleeping until woken, as the sentry and the gofer do"),
                                 ("/polling", "both waiting by polling (up to 50 non-blocking recv(2)s) before "
                                              "sleeping"),
                                 ("/polling/paths", "polling, plus the least a safe broker adds: the two paths "
                                                    "copied from the caller (one process_vm_readv), its "
                                                    "credentials read (pread of /proc/<tid>/status), ID_VALID, "
                                                    "each parent resolved inside the gofer's root (openat2 "
                                                    "RESOLVE_IN_ROOT), renameat, two closes")):
                floor = self.q(f"BM_BrokerFloorRename/{where}{variant}/real_time", "native")
                if not (native and floor):
                    continue
                out.append(f"- rename, {where}, {how}: {self.fmt_ns(floor[1])} = {floor[1] / native[1]:.1f} × the "
                           f"native rename ({self.fmt_ns(native[1])}); quartile range "
                           f"{floor[0] / native[2]:.1f}–{floor[2] / native[0]:.1f}×")
        if out:
            out = ["The design's floor for a brokered call, measured natively in the same run "
                   "(BM_BrokerFloorRename): the trapped call goes to a second process (the sentry's place), "
                   "which has a third (the gofer's) rename the file over a socketpair and answers its result. "
                   "No path is read, no credential is set, no fd is passed: what the two hops DESIGN.md "
                   "requires cost, and nothing else.", ""] + out
        return out

    def section(self, floor_extra, heading=True):
        """The section; `heading` False: a bold title (README's subsection may hold no heading)."""
        title = "Brokered calls (issue 5: writes to host storage go through the gofer)"
        md = [f"### {title}" if heading else f"**{title}**", "",
              "Under runsc the rootfs is read-only to the workload: each create, mkdir, rmdir, rename and "
              "unlink traps (USER_NOTIF) to the sentry, which reads the caller's path and credentials and has "
              "the gofer make the call in its read-write view; stat and read-only open run natively. The "
              "tmpfs rows show the same calls on a tmpfs mount of the bundle, which the sentry brokers too, "
              "without ext4's cost. Targets: a brokered call ≤ "
              f"{BROKER_TARGET:g}× native; a native-path call within {NATIVE_TARGET - 1:.0%} of runc. "
              "A verdict is **met** or **not met** only when the whole quartile range of the ratio (faster "
              "quartile over slower quartile, both ways) is on one side of the target.", ""]
        for where in WHERE:
            md += self.table(where) + [""]
        md += ["Where the brokered time goes (medians; runc has the same namespaces and read-write "
               "mounts, so runsc − runc is what the trap, the sentry and the gofer add):", ""]
        md += self.time_lines(floor_extra) + [""]
        design = self.design_floor_lines()
        if design:
            md += design + [""]
        md += ["What one op is: " + "; ".join(f"{label}: {what}" for label, _, what in FS_ROWS.values())
               + ". The scratch directory is made per run under the rootfs' /tmp or the tmpfs.", ""]
        return md
