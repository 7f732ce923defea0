#!/usr/bin/env python3
"""Part 6 of scripts/bench.sh: blockwatch system-wide, over many processes.

  systemwide.py procs JSON GO_PIDS C_PIDS
      what the last complete report of JSON holds: "PROCS GO GO_BINARIES OURS_GO OURS_C
      GOROUTINES", processes and Go processes in it, the distinct executables of those Go
      processes (of those still running), how many of the population's Go pids (GO_PIDS, one
      a line) it shows as Go with goroutines and of its other pids (C_PIDS) it shows at all,
      and the goroutines of the population's Go processes

  systemwide.py probed PID
      uprobes that fire in PID: probe points on its executable (bpftool perf, any holder)
      whose instruction in its memory is a breakpoint. Outside detail mode, another tool
      probing a benchmark (say another system-wide blockwatch -D on a shared machine); a
      uprobe on the same binary for another process only does not count. 0 when bpftool
      fails (said on stderr)

  systemwide.py attach BW_PID JSON DETAIL TIMEOUT_S CMD...
      start CMD (a Go program) while blockwatch BW_PID writes JSON, and print
      "PID REPORT_MS PROBE_MS PROBES_BEFORE WAITS_MS", each time from just before the exec:
        REPORT_MS      the first report with its goroutines (its process record, Go, with
                       goroutines counted) is in JSON
        PROBE_MS       blockwatch holds a uprobe on its executable that it did not hold before
                       (named /proc/PID/..., or the same inode), found with BPF_TASK_FD_QUERY
        PROBES_BEFORE  uprobes blockwatch held on that executable before the start (probes
                       shared with processes running the same binary)
        WAITS_MS       the first report with a completed wait at one of its goroutine sites:
                       wait durations of goroutines come from detail mode's uprobes only
      "-" for what did not happen within TIMEOUT_S (PROBE_MS and WAITS_MS are looked for when
      DETAIL is 1). The start comes at a random point of a 1 s interval: one start right
      after the previous one was found would always be just past a report. CMD dies with
      this script (PR_SET_PDEATHSIG) and is killed at the end.
"""
import ctypes
import json
import os
import random
import signal
import subprocess
import sys
import time

import bpfinfo

POLL_S = 0.02


def records(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                pass  # a report cut short by the stop


def last_report(path):
    """Records of the last interval that was closed by its interval record."""
    cur, last = {}, []
    for r in records(path):
        cur.setdefault(r.get("ts_ns"), []).append(r)
        if r.get("type") == "interval":
            last = cur.pop(r.get("ts_ns"))
    return last


def read_pids(path):
    with open(path, encoding="utf-8") as f:
        return {int(x) for x in f.read().split()}


def procs(path, go_path, c_path):
    go, other = read_pids(go_path), read_pids(c_path)
    recs = [r for r in last_report(path) if r.get("type") == "process"]
    is_go = [r for r in recs if r.get("is_go")]
    ours_go = [r for r in is_go if r.get("pid") in go and r.get("goroutines", 0) > 0]
    ours_c = [r for r in recs if r.get("pid") in other]
    binaries = set()
    for r in is_go:
        try:
            st = os.stat(f"/proc/{r.get('pid')}/exe")
            binaries.add((st.st_dev, st.st_ino))
        except OSError:
            pass  # gone meanwhile
    print(len(recs), len(is_go), len(binaries), len(ours_go), len(ours_c),
          sum(r.get("goroutines", 0) for r in ours_go))


class Tail:
    """The complete lines appended to a file since the last call."""

    def __init__(self, path):
        self.path, self.off, self.rest = path, 0, b""

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except OSError:
            return []
        self.off += len(data)
        data = self.rest + data
        *full, self.rest = data.split(b"\n")
        return full


class ProbeMatcher:
    """Uprobes blockwatch holds on one executable file."""

    def __init__(self, bw_pid, exe):
        st = os.stat(exe)
        self.bw_pid, self.inode, self.cache = bw_pid, (st.st_dev, st.st_ino), {}

    def on_exe(self, name, pid):
        if name.startswith(f"/proc/{pid}/"):
            return True
        if name not in self.cache:
            try:
                st = os.stat(name)
                self.cache[name] = (st.st_dev, st.st_ino) == self.inode
            except OSError:
                self.cache[name] = False  # a process gone meanwhile
        return self.cache[name]

    def count(self, pid):
        return sum(1 for name, _ in bpfinfo.uprobes(self.bw_pid) if self.on_exe(name, pid))


def text_addr(pid, exe, off):
    """The address where file offset off of exe is mapped in pid, or None."""
    with open(f"/proc/{pid}/maps", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if len(fields) < 6 or fields[5] != exe:
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            base = int(fields[2], 16)
            if base <= off < base + (end - start):
                return start + off - base
    return None


def probed(pid):
    """Probe points on pid's executable (any holder, bpftool perf) whose instruction in pid's
    memory is a breakpoint (int3): the uprobes that fire in pid, whoever placed them."""
    try:
        out = subprocess.run(["bpftool", "-j", "perf"], capture_output=True, check=True,
                             text=True).stdout
        entries = json.loads(out)
    except (OSError, subprocess.CalledProcessError, ValueError) as e:
        print(f"systemwide.py: failed to list uprobes with bpftool: {e}", file=sys.stderr)
        return 0
    n = 0
    try:
        exe, probes = os.readlink(f"/proc/{pid}/exe"), ProbeMatcher(0, f"/proc/{pid}/exe")
        offsets = {e.get("offset", 0) for e in entries if e.get("fd_type") == "uprobe"
                   and probes.on_exe(e.get("filename", ""), pid)}
        with open(f"/proc/{pid}/mem", "rb", buffering=0) as mem:
            for off in offsets:
                addr = text_addr(pid, exe, off)
                if addr is not None:
                    mem.seek(addr)
                    n += mem.read(1) == b"\xcc"
    except OSError as e:
        print(f"systemwide.py: failed to read process {pid}: {e}", file=sys.stderr)
    return n


def die_with_parent():
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def seen_in(line, pid):
    """(has its goroutines, has a completed goroutine wait) from one JSON line."""
    if f'"pid":{pid},'.encode() not in line:
        return False, False
    try:
        r = json.loads(line)
    except json.JSONDecodeError:
        return False, False
    if r.get("pid") != pid:
        return False, False
    if r.get("type") == "process":
        return bool(r.get("is_go") and r.get("goroutines", 0) > 0), False
    if r.get("type") == "site" and r.get("kind") == "goroutine":
        return True, r.get("waits", 0) > 0
    return False, False


def attach(bw_pid, path, detail, timeout, cmd):
    tail, probes = Tail(path), ProbeMatcher(bw_pid, cmd[0])
    time.sleep(random.random())
    tail.lines()  # only reports written after the start count
    before = probes.count(0)
    got = {"report": None, "probe": None, "waits": None}
    t0 = time.time()
    child = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
    try:
        while time.time() - t0 < timeout:
            now_ms = round((time.time() - t0) * 1000)
            for line in tail.lines():
                has_g, has_w = seen_in(line, child.pid)
                if has_g and got["report"] is None:
                    got["report"] = now_ms
                if has_w and got["waits"] is None:
                    got["waits"] = now_ms
            if detail and got["probe"] is None and probes.count(child.pid) > before:
                got["probe"] = now_ms
            if got["report"] is not None and (not detail or (
                    got["waits"] is not None and (got["probe"] is not None or before))):
                break
            time.sleep(POLL_S)
    finally:
        child.kill()
        child.wait()
    fmt = lambda v: "-" if v is None else str(v)  # noqa: E731
    print(child.pid, fmt(got["report"]), fmt(got["probe"]), before, fmt(got["waits"]))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "procs":
        procs(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "probed":
        print(probed(int(sys.argv[2])))
    elif len(sys.argv) >= 7 and sys.argv[1] == "attach":
        attach(int(sys.argv[2]), sys.argv[3], sys.argv[4] == "1", float(sys.argv[5]),
               sys.argv[6:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
