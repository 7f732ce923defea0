#!/usr/bin/env python3
"""BPF objects a process holds, from /proc/PID/fdinfo (Debian's bpftool cannot
tell which process owns a map or program), for scripts/bench.sh.

  bpfinfo.py PID memlock   bytes of memlock of its maps
  bpfinfo.py PID runtime   "NS CNT": run time and runs of its programs, summed
                           (counted only while kernel.bpf_stats_enabled is 1)
  bpfinfo.py PID progs     one line per program: "NAME NS CNT"
"""
import json
import os
import subprocess
import sys


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


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("memlock", "runtime", "progs"):
        sys.exit(__doc__)
    pid, what = sys.argv[1], sys.argv[2]
    if what == "progs":
        progs(pid)
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
