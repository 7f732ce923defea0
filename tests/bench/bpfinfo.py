#!/usr/bin/env python3
"""BPF objects a process holds, from /proc/PID/fdinfo (Debian's bpftool cannot
tell which process owns a map or program), for scripts/bench.sh.

  bpfinfo.py PID memlock   bytes of memlock of its maps
  bpfinfo.py PID runtime   "NS CNT": run time and runs of its programs, summed
                           (counted only while kernel.bpf_stats_enabled is 1)
  bpfinfo.py PID progs     one line per program: "NAME NS CNT"
  bpfinfo.py PID objects   "PROGS MAPS LINKS UPROBES": distinct programs and maps,
                           links, and uprobe perf events (BPF_TASK_FD_QUERY)
  bpfinfo.py PID uprobes   one line per uprobe perf event: "FILENAME OFFSET"
"""
import ctypes
import json
import os
import platform
import subprocess
import sys

BPF_TASK_FD_QUERY = 20
BPF_FD_TYPE_UPROBE = 4
SYS_BPF = {"x86_64": 321, "aarch64": 280}


class TaskFdQuery(ctypes.Structure):
    """The task_fd_query member of union bpf_attr."""
    _fields_ = [("pid", ctypes.c_uint32), ("fd", ctypes.c_uint32),
                ("flags", ctypes.c_uint32), ("buf_len", ctypes.c_uint32),
                ("buf", ctypes.c_uint64), ("prog_id", ctypes.c_uint32),
                ("fd_type", ctypes.c_uint32), ("probe_offset", ctypes.c_uint64),
                ("probe_addr", ctypes.c_uint64)]


_libc = ctypes.CDLL(None, use_errno=True)


def fd_query(pid, fd):
    """(fd_type, filename, offset) of a perf event fd of another process, or None
    (not a perf event with a program attached, or closed meanwhile)."""
    buf = ctypes.create_string_buffer(4096)
    q = TaskFdQuery(pid=pid, fd=fd, buf_len=len(buf), buf=ctypes.addressof(buf))
    if _libc.syscall(SYS_BPF[platform.machine()], BPF_TASK_FD_QUERY, ctypes.byref(q),
                     ctypes.sizeof(q)) != 0:
        return None
    return q.fd_type, buf.value.decode(errors="replace"), q.probe_offset


def uprobes(pid):
    """[(filename, offset)] of every uprobe perf event the process holds."""
    out = []
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return out
    for fd in fds:
        got = fd_query(int(pid), int(fd))
        if got and got[0] == BPF_FD_TYPE_UPROBE:
            out.append((got[1], got[2]))
    return out


def fdinfos(pid):
    base = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(base):
        try:
            with open(os.path.join(base, fd), encoding="utf-8") as f:
                fields = dict(line.rstrip("\n").split(":\t", 1) for line in f if ":\t" in line)
        except OSError:
            continue  # closed meanwhile
        yield {k: v.strip() for k, v in fields.items()}


def prog_name(prog_id):
    try:
        out = subprocess.run(["bpftool", "-j", "prog", "show", "id", prog_id],
                             capture_output=True, check=True, text=True).stdout
        return json.loads(out).get("name", prog_id)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return prog_id


def progs(pid):
    seen = set()
    for info in fdinfos(pid):
        if "prog_id" in info and info["prog_id"] not in seen:
            seen.add(info["prog_id"])
            print(prog_name(info["prog_id"]), info.get("run_time_ns", 0),
                  info.get("run_cnt", 0))


def objects(pid):
    prog_ids, map_ids, links = set(), set(), 0
    for info in fdinfos(pid):
        if "link_id" in info:
            links += 1
        if "prog_id" in info:
            prog_ids.add(info["prog_id"])
        if "map_id" in info:
            map_ids.add(info["map_id"])
    print(len(prog_ids), len(map_ids), links, len(uprobes(pid)))


def main():
    whats = ("memlock", "runtime", "progs", "objects", "uprobes")
    if len(sys.argv) != 3 or sys.argv[2] not in whats:
        sys.exit(__doc__)
    pid, what = sys.argv[1], sys.argv[2]
    if what in ("progs", "objects"):
        (progs if what == "progs" else objects)(pid)
        return
    if what == "uprobes":
        for name, off in uprobes(pid):
            print(name, off)
        return
    seen, memlock, ns, cnt = set(), 0, 0, 0
    for info in fdinfos(pid):
        if what == "memlock" and "map_id" in info and info["map_id"] not in seen:
            seen.add(info["map_id"])
            memlock += int(info.get("memlock", 0))
        elif what == "runtime" and "prog_id" in info and info["prog_id"] not in seen:
            seen.add(info["prog_id"])
            ns += int(info.get("run_time_ns", 0))
            cnt += int(info.get("run_cnt", 0))
    print(memlock if what == "memlock" else f"{ns} {cnt}")


if __name__ == "__main__":
    main()
