#!/usr/bin/env python3
"""Read blockwatch's JSON lines and answer questions about them.

Used by the integration tests: `bwjson.py FILE check ARGS...` exits 0 when
the check holds and prints what it found either way, so a failing test
shows why.
"""
import json
import sys


def load(path):
    records = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:
                sys.exit(f"line {n} of {path} is not JSON: {e}: {line[:200]!r}")
    return records


def last_interval(records, final_ok=False):
    """Site records of the last regular report, or of the final one when final_ok
    (or when there is no other). The final report's waits are only those since the
    report before it: a moment's worth when the run ended right after a report."""
    final = {r["ts_ns"] for r in records if r.get("type") == "interval" and r.get("final")}
    stamps = [r["ts_ns"] for r in records if r.get("type") == "site"]
    if not final_ok and any(t not in final for t in stamps):
        stamps = [t for t in stamps if t not in final]
    if not stamps:
        return []
    last = max(stamps)
    return [r for r in records if r.get("type") == "site" and r["ts_ns"] == last]


def functions(site):
    return [f.get("function") or "" for f in site.get("frames", [])]


def sites_with(records, function, kind=None):
    out = []
    for s in last_interval(records):
        if kind and s["kind"] != kind:
            continue
        if any(function == f or f.startswith(function + "+") for f in functions(s)):
            out.append(s)
    return out


def describe(sites):
    return "\n".join(
        f"  {s['kind']:9} {s['reason']:22} blocked={s['blocked']} waits={s['waits']} "
        f"frames={functions(s)[:8]}" for s in sites)


if __name__ == "__main__":
    recs = load(sys.argv[1])
    print(describe(last_interval(recs)))
