#!/usr/bin/env python3
"""What blockwatch may leave behind, checked from outside (the safety tests).

  bpfobjs.py snapshot FILE          BPF programs, maps and links now, and the uprobe list
  bpfobjs.py leaks FILE [--wait S]  fail when a program, map or link of ours that was not in
                                    FILE stays without any process holding it, or a uprobe
                                    was added to tracefs's uprobe_events (polls up to S s:
                                    the kernel frees a killed process's objects lazily)
  bpfobjs.py text PID               fail when an executable mapping of PID's program differs
                                    from the file: a uprobe left behind is an int3 in there
  bpfobjs.py perf PID               fail when a perf-event BPF attachment (uprobe) of any
                                    process names PID's executable

Ours: the names of the programs and maps in blockwatch's skeletons (build/*.skel.h). Objects
held by a live process (a file descriptor, found through /proc/*/fdinfo, as this bpftool
lacks the pid iterator) are some other blockwatch still running, not leaks.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

ROOT = os.environ.get("BW_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
KINDS = ("prog", "map", "link")
TRACEFS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")


def bpftool(*args):
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("bpftool %s failed: %s" % (" ".join(args), out.stderr.strip()))
    return json.loads(out.stdout or "[]")


def our_names():
    names = set()
    for skel in glob.glob(os.path.join(ROOT, "build", "*.skel.h")):
        with open(skel) as f:
            names |= {n[:15] for n in re.findall(r'\.name = "([^"]+)"', f.read())}
    if not names:
        sys.exit("no skeleton in build/: build blockwatch first")
    return names


def objects():
    objs = {}
    for kind in KINDS:
        for o in bpftool(kind, "show"):
            name = o.get("name") or (o.get("prog_id") and "link:%s" % o.get("prog_id")) or ""
            objs["%s:%d" % (kind, o["id"])] = {"name": name, "prog_id": o.get("prog_id")}
    return objs


def held():
    """(kind:id) of every BPF object some process has a descriptor of."""
    ids = set()
    # a link's fdinfo names its program too: look for link_id first
    keys = {"link_id": "link", "prog_id": "prog", "map_id": "map"}
    for fdinfo in glob.glob("/proc/[0-9]*/fdinfo/*"):
        try:
            with open(fdinfo) as f:
                text = f.read()
        except OSError:
            continue  # gone meanwhile
        for key, kind in keys.items():
            m = re.search(r"^%s:\s*(\d+)" % key, text, re.M)
            if m:
                ids.add("%s:%s" % (kind, m.group(1)))
                break
    return ids


def uprobe_events():
    for d in TRACEFS:
        p = os.path.join(d, "uprobe_events")
        if os.path.exists(p):
            with open(p) as f:
                return sorted(l.strip() for l in f if l.strip())
    return None  # tracefs not mounted: the caller mounts it


def snapshot(path):
    with open(path, "w") as f:
        json.dump({"objects": objects(), "uprobe_events": uprobe_events()}, f)


def leftovers(before, names):
    now, holders = objects(), held()
    left = []
    for key, o in now.items():
        if key in before["objects"] or key in holders:
            continue
        kind = key.split(":")[0]
        if kind == "link":
            prog = now.get("prog:%s" % o.get("prog_id"), {})
            ours = prog.get("name", "")[:15] in names or o.get("prog_id") is None
        else:
            ours = o["name"][:15] in names
        if ours:
            left.append("%s (%s)" % (key, o["name"]))
    ev = uprobe_events()
    if ev is not None and before["uprobe_events"] is not None:
        left += ["uprobe_events: " + e for e in ev if e not in before["uprobe_events"]]
    return left


def leaks(path, wait):
    with open(path) as f:
        before = json.load(f)
    names = our_names()
    deadline = time.time() + wait
    while True:
        left = leftovers(before, names)
        if not left:
            print("no BPF program, map, link or uprobe of ours left")
            return
        if time.time() > deadline:
            sys.exit("FAIL: left behind after %ss, held by no process:\n  %s" %
                     (wait, "\n  ".join(left)))
        time.sleep(0.2)


def exe_mappings(pid):
    exe = os.readlink("/proc/%d/exe" % pid)
    st = os.stat("/proc/%d/exe" % pid)
    maps = []
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split(None, 5)
            if len(parts) < 6 or "x" not in parts[1]:
                continue
            inode = int(parts[4])
            if inode != st.st_ino:
                continue
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            maps.append((lo, hi, int(parts[2], 16)))
    return exe, maps


def text(pid):
    exe, maps = exe_mappings(pid)
    if not maps:
        sys.exit("FAIL: no executable mapping of %s in pid %d" % (exe, pid))
    diffs = []
    with open("/proc/%d/exe" % pid, "rb") as f, open("/proc/%d/mem" % pid, "rb") as mem:
        for lo, hi, off in maps:
            f.seek(off)
            want = f.read(hi - lo)
            mem.seek(lo)
            got = mem.read(len(want))
            if got != want:
                at = [lo + i for i in range(len(want)) if got[i] != want[i]]
                diffs.append("%d bytes differ at %s (first: %02x, file %02x)" % (
                    len(at), " ".join(hex(a) for a in at[:8]), got[at[0] - lo],
                    want[at[0] - lo]))
    if diffs:
        sys.exit("FAIL: the code of pid %d (%s) differs from its file: a probe left "
                 "behind?\n  %s" % (pid, exe, "\n  ".join(diffs)))
    print("code of pid %d identical to %s (%d bytes)" %
          (pid, exe, sum(hi - lo for lo, hi, _ in maps)))


def perf(pid):
    exe = os.path.realpath("/proc/%d/exe" % pid)
    left = [p for p in bpftool("perf", "show")
            if p.get("fd_type") in ("uprobe", "uretprobe") and p.get("filename") == exe]
    if left:
        sys.exit("FAIL: uprobes still attached to %s: %s" % (exe, left))
    print("no uprobe attached to %s" % exe)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["snapshot", "leaks", "text", "perf"])
    ap.add_argument("arg")
    ap.add_argument("--wait", type=float, default=5)
    a = ap.parse_args()
    if a.cmd == "snapshot":
        snapshot(a.arg)
    elif a.cmd == "leaks":
        leaks(a.arg, a.wait)
    elif a.cmd == "text":
        text(int(a.arg))
    else:
        perf(int(a.arg))


if __name__ == "__main__":
    main()
