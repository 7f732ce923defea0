#!/usr/bin/env python3
"""Sum what blockwatch reported in a JSON-lines file, for scripts/bench.sh.

  bwcount.py FILE thread|goroutine   "WAITS DROPS DROP_DETAIL SITES": completed waits
                                     counted over every report but the final one (which
                                     repeats the last interval's figures when it came
                                     right after it) at sites of that level,
                                     drops since attach (last interval record), the
                                     non-zero drop kinds, the most sites in one report
  bwcount.py FILE blocked            waiters blocked in the last report (all sites)
"""
import json
import sys

THREAD_KINDS = {"futex", "offcpu"}


def records(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    pass  # a report cut short by the stop


def counts(path, level):
    waits, sites, last_drops = 0, 0, {}
    recs = list(records(path))
    final = {r.get("ts_ns") for r in recs if r.get("type") == "interval" and r.get("final")}
    for r in recs:
        if r.get("type") == "site" and r.get("ts_ns") not in final:
            is_thread = r.get("kind") in THREAD_KINDS
            if is_thread == (level == "thread"):
                waits += r.get("waits", 0)
        elif r.get("type") == "interval":
            sites = max(sites, r.get("sites", 0))
            last_drops = r.get("drops", {})
    detail = ",".join(f"{k}={v}" for k, v in sorted(last_drops.items()) if v) or "-"
    return f"{waits} {sum(last_drops.values())} {detail} {sites}"


def blocked(path):
    last_ts, total = None, 0
    for r in records(path):
        if r.get("type") != "site":
            continue
        if r.get("ts_ns") != last_ts:
            last_ts, total = r.get("ts_ns"), 0
        total += r.get("blocked", 0)
    return str(total)


def main():
    if len(sys.argv) != 3 or sys.argv[2] not in ("thread", "goroutine", "blocked"):
        sys.exit(__doc__)
    path, what = sys.argv[1], sys.argv[2]
    print(blocked(path) if what == "blocked" else counts(path, what))


if __name__ == "__main__":
    main()
