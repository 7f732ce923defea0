#!/usr/bin/env python3
"""Render BENCHMARKS.md from the measurements of scripts/bench.sh.

  report.py META.tsv RESULTS.tsv > BENCHMARKS.md

META.tsv: "key<TAB>value" lines (machine, settings, load). RESULTS.tsv: "part bench mode rep
key value" lines, one measurement each. Medians are taken over repetitions; a ratio is the
median of the per-repetition ratios (the modes of one repetition run back to back, so the
machine's load drifts less between them than across the whole run).
"""
import collections
import statistics
import sys

GO_BENCHES = ["chan", "mutex", "select", "wg", "spawn"]
GO_MODES = ["bare", "blockwatch", "detail", "floor", "bpftrace", "trace", "pprof"]
C_MODES = ["bare", "blockwatch", "floor", "bpftrace"]
GO_WHAT = {
    "chan": "unbuffered channel ping-pong, 1 op = round trip",
    "mutex": "8 goroutines, one sync.Mutex, holder yields inside, 1 P",
    "select": "4 producers, select fan-in, 1 op = 1 message",
    "wg": "WaitGroup Add(2), 2 workers Done, Wait",
    "spawn": "goroutine spawn + exit, batches of 100",
}


def load(meta_path, results_path):
    meta = {}
    with open(meta_path, encoding="utf-8") as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("\t")
            meta[k] = v
    res = collections.defaultdict(dict)  # (part, bench, mode, key) -> {rep: value}
    with open(results_path, encoding="utf-8") as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) != 6:
                continue
            part, bench, mode, rep, key, value = fields
            try:
                value = float(value)
            except ValueError:
                pass
            res[(part, bench, mode, key)][rep] = value
    return meta, res


class Results:
    def __init__(self, res):
        self.res = res

    def reps(self, part, bench, mode, key):
        return self.res.get((part, bench, mode, key), {})

    def med(self, part, bench, mode, key):
        vals = [v for v in self.reps(part, bench, mode, key).values() if isinstance(v, float)]
        return statistics.median(vals) if vals else None

    def one(self, part, bench, mode, key):
        vals = list(self.reps(part, bench, mode, key).values())
        return vals[0] if vals else None

    def ratio(self, part, bench, num, den, key):
        """Median over repetitions of num/den, each repetition against itself."""
        a, b = self.reps(part, bench, num, key), self.reps(part, bench, den, key)
        rs = [a[r] / b[r] for r in a if r in b and isinstance(a[r], float)
              and isinstance(b[r], float) and b[r]]
        return statistics.median(rs) if rs else None

    def spread(self, part, bench, mode, key):
        vals = [v for v in self.reps(part, bench, mode, key).values() if isinstance(v, float)]
        if len(vals) < 2:
            return None
        return (max(vals) - min(vals)) / statistics.median(vals)


def f_ns(v):
    if v is None:
        return "-"
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def f_x(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}×"


def f_pct(v):
    return "-" if v is None else f"{(v - 1) * 100:+.1f}%"


def f_num(v, fmt="{:,.0f}"):
    return "-" if v is None else fmt.format(v)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def machine(meta):
    rows = [
        ("CPU", f"{meta.get('model', '?')}, {meta.get('cpus', '?')} cores"),
        ("kernel", meta.get("kernel", "?")),
        ("memory", f"{int(meta.get('memory_mb', 0)) / 1024:.1f} GiB"),
        ("OS", meta.get("os", "?")),
        ("Go (targets)", meta.get("go", "?")),
        ("bpftrace / wrk", f"{meta.get('bpftrace', '?')} / {meta.get('wrk', '?')}"),
        ("blockwatch", meta.get("blockwatch", "?")),
        ("load average (1, 5, 15 min)",
         f"{meta.get('load_start', '?')} at the start, {meta.get('load_end', '?')} at the end"),
        ("run", f"{meta.get('started', '?')}, {meta.get('duration_s', '?')} s"),
    ]
    return table(["", ""], rows)


def commands(meta):
    secs, http = meta.get("secs", "1"), meta.get("http_secs", "2")
    return f"""All targets and tools run on this machine, traffic on 127.0.0.1. `sudo make bench`
(`scripts/bench.sh`) builds everything into `build/bench/`, runs every part and writes this
file. Each benchmark process is started once and measured in every mode in turn (modes
interleaved, {meta.get('reps', '?')} repetitions): the probe offsets, heap and threads are the
same for every mode. A microbenchmark run lasts {secs} s, a wrk run {http} s. Parts 1 and 2
measure blockwatch in its steady state, once it has written its first report (its start-up
work, reading the target's symbols and its first snapshot, is in parts 4 and 5); the other
tools from the moment they are attached. Numbers are medians over repetitions; ratios are
medians of the per-repetition ratios.

| mode | what runs beside the target (PID) |
|---|---|
| bare | nothing |
| blockwatch | `blockwatch -p PID -i 1 --json -o FILE` (default view: goroutine snapshots from `/proc/PID/mem`, `tp_btf` sched programs) |
| detail | `blockwatch -p PID -i 1 --json -o FILE -D` (adds uprobes on `runtime.gopark` and `runtime.ready`) |
| floor | `build/bench/floor go PID`: an empty (`return 0`) uprobe program at the same three file offsets as `-D`, found by blockwatch's own code (`tests/bench/floor.c`); for C targets `floor sched PID`: empty `tp_btf/sched_switch` and `tp_btf/sched_wakeup` programs |
| bpftrace | `bpftrace -p PID -e 'uprobe:BIN:runtime.gopark {{ @parks = count(); }} uprobe:BIN:runtime.ready {{ @readies = count(); }}'` (by symbol, function entry); for C targets `tracepoint:sched:sched_switch /pid == PID/ {{ @switches = count(); }}` |
| trace | Go's execution tracer: `runtime/trace.Start` to a file for the run; HTTP: `curl http://PPROF/debug/pprof/trace?seconds={int(http) + 1}` |
| pprof | `curl -s http://PPROF/debug/pprof/goroutine` (a goroutine profile) every second, as leak detectors that poll pprof do |

The HTTP load: `wrk -t1 -c32 -d{http}s --latency http://127.0.0.1:PORT/item?id=7` against
`tests/bench/go/httpserver` (net/http, JSON from a mutex-protected map). Go targets are
`tests/bench/go/gobench -bench NAME` (Go {meta.get('go', '?')}, unstripped, GOMAXPROCS=2 except
`mutex`); the C target is `tests/bench/pthread_bench.c`."""


def part1(r, meta):
    out = ["## 1. Go targets: cost to the target", "",
           "ns per operation (median); lower is better.", ""]
    rows = []
    for b in GO_BENCHES:
        row = [f"`{b}`: {GO_WHAT[b]}"]
        row += [f_ns(r.med("1", b, m, "ns_per_op")) for m in GO_MODES]
        rows.append(row)
    out.append(table(["benchmark"] + GO_MODES, rows))
    out += ["", "Ratios (time per op against the same repetition's run; 1.00× = no cost):", ""]
    rows = []
    for b in GO_BENCHES:
        ops = r.med("1", b, "bpftrace", "ops")
        parks, readies = r.med("1", b, "bpftrace", "parks"), r.med("1", b, "bpftrace", "readies")
        hits = (f"{parks / ops:.2f} / {readies / ops:.2f}"
                if ops and parks is not None and readies is not None else "-")
        rows.append([
            f"`{b}`", f_x(r.ratio("1", b, "blockwatch", "bare", "ns_per_op")),
            f_x(r.ratio("1", b, "detail", "bare", "ns_per_op")),
            f_x(r.ratio("1", b, "floor", "bare", "ns_per_op")),
            f_x(r.ratio("1", b, "detail", "floor", "ns_per_op")),
            f_x(r.ratio("1", b, "bpftrace", "detail", "ns_per_op"), 1),
            f_x(r.ratio("1", b, "trace", "bare", "ns_per_op"), 1),
            f_x(r.ratio("1", b, "pprof", "bare", "ns_per_op")),
            hits,
            f_num(r.spread("1", b, "bare", "ns_per_op"), "{:.0%}"),
        ])
    out.append(table(["benchmark", "blockwatch/bare", "detail/bare", "floor/bare",
                      "detail/floor", "bpftrace/detail", "trace/bare", "pprof/bare",
                      "parks / readies per op", "bare spread"], rows))
    out += ["", "*detail/floor* is blockwatch/floor for the probes: the default view places no "
            "uprobe (its floor, the empty sched programs, is measured in part 2). "
            "*parks / readies per op*: counted by the bpftrace peer (while attached) over "
            "the run's operations. *bare spread*: (max − min) / median of the bare runs, the "
            "noise level of this machine.", ""]
    out.append(part1_http(r))
    out.append(part1_attach(r))
    return "\n".join(out)


def part1_http(r):
    rows = []
    for m in GO_MODES:
        rows.append([m, f_num(r.med("1", "http", m, "req_per_s")),
                     f_x(r.ratio("1", "http", m, "bare", "req_per_s")),
                     f_num(r.med("1", "http", m, "p50_ms"), "{:.2f}"),
                     f_num(r.med("1", "http", m, "p99_ms"), "{:.1f}"),
                     f_num(r.med("1", "http", m, "tool_cpu_ms"))])
    ops = r.med("1", "http", "bpftrace", "req_per_s")
    parks = r.med("1", "http", "bpftrace", "parks")
    text = ["### net/http server under wrk", "",
            table(["mode", "requests/s", "throughput vs bare", "p50 ms", "p99 ms",
                   "tool CPU ms per run"], rows), ""]
    text += [f"Ratios: blockwatch/bare {f_x(r.ratio('1', 'http', 'blockwatch', 'bare', 'req_per_s'))}, "
             f"detail/bare {f_x(r.ratio('1', 'http', 'detail', 'bare', 'req_per_s'))}, "
             f"detail/floor {f_x(r.ratio('1', 'http', 'detail', 'floor', 'req_per_s'))}, "
             f"bpftrace/detail {f_x(r.ratio('1', 'http', 'bpftrace', 'detail', 'req_per_s'))} "
             "(throughput; below 1.00× is slower)."]
    if ops and parks:
        text += [f"The bpftrace peer counted {parks:,.0f} parks over its run."]
    return "\n".join(text) + "\n"


def part1_attach(r):
    rows = []
    for b in GO_BENCHES + ["http"]:
        rows.append([f"`{b}`"] + [f_num(r.med("1", b, m, "attach_ms"))
                                  for m in ("blockwatch", "detail", "floor", "bpftrace")])
    return "\n".join(["### Attach time (ms, launch to attached)", "",
                      table(["target", "blockwatch", "detail", "floor", "bpftrace"], rows), ""])


def part2(r):
    rows, ratio_rows = [], []
    for b in ("mutex", "cond"):
        ops, sleeps = r.med("2", b, "bare", "ops"), r.med("2", b, "bare", "sleeps")
        rows.append([f"`{b}`"] + [f_ns(r.med("2", b, m, "ns_per_op")) for m in C_MODES]
                    + [f"{sleeps / ops:.2f}" if ops and sleeps else "-"])
        ratio_rows.append([f"`{b}`", f_x(r.ratio("2", b, "blockwatch", "bare", "ns_per_op")),
                           f_x(r.ratio("2", b, "floor", "bare", "ns_per_op")),
                           f_x(r.ratio("2", b, "blockwatch", "floor", "ns_per_op")),
                           f_x(r.ratio("2", b, "bpftrace", "blockwatch", "ns_per_op")),
                           f_num(r.spread("2", b, "bare", "ns_per_op"), "{:.0%}")])
    return "\n".join([
        "## 2. C/pthread targets: thread level", "",
        "`pthread_bench mutex 4`: 4 threads on one CPU, one mutex, the holder yields inside "
        "(one futex sleep per op); `pthread_bench cond 1`: a condition-variable ping-pong (two sleeps per "
        "round trip). ns per op (median):", "",
        table(["benchmark"] + C_MODES + ["sleeps per op"], rows), "",
        table(["benchmark", "blockwatch/bare", "floor/bare", "blockwatch/floor",
               "bpftrace/blockwatch", "bare spread"], ratio_rows), ""])


def prog_cost(r, label):
    """BPF run time per run for each program, 'name ns/run (runs)'."""
    items = []
    for (part, bench, mode, key), reps in r.res.items():
        if part == "3" and bench == label and key.startswith("bpf_ns:"):
            name = key.split(":", 1)[1]
            ns = list(reps.values())[0]
            runs = r.one("3", label, mode, "bpf_runs:" + name)
            if runs:
                items.append((name, ns, runs))
    return sorted(items, key=lambda t: -t[1])


def part3(r):
    labels = ["rate-5000", "rate-25000", "rate-100000", "rate-max",
              "sites-1000", "sites-8000", "sites-16000", "sites-32000", "go-detail"]
    what = {
        "rate-5000": "cond ping-pong, 2 pairs, paced at 5,000 round trips/s",
        "rate-25000": "the same, 25,000/s", "rate-100000": "the same, 100,000/s asked",
        "rate-max": "the same, unpaced",
        "sites-1000": "sleeps at 1,000 distinct stacks", "sites-8000": "8,000 distinct stacks",
        "sites-16000": "16,000 distinct stacks", "sites-32000": "32,000 distinct stacks",
        "go-detail": "Go chan ping-pong, `-D`: parks (2 per round trip)",
    }
    rows, prog_rows = [], []
    for lb in labels:
        wall = r.one("3", lb, "bw", "wall_ms")
        truth, counted = r.one("3", lb, "bw", "truth"), r.one("3", lb, "bw", "counted")
        if wall is None or truth is None:
            continue
        bpf_ns = sum(ns for _, ns, _ in prog_cost(r, lb))
        cpu = r.one("3", lb, "bw", "tool_cpu_ms")
        rows.append([
            f"`{lb}`: {what[lb]}", f_num(truth / wall * 1000), f_num(truth), f_num(counted),
            f"{counted / truth:.4f}" if truth else "-",
            f"{r.one('3', lb, 'bw', 'drops'):,.0f} ({r.one('3', lb, 'bw', 'drop_detail')})",
            f_num(r.one("3", lb, "bw", "sites")),
            f"{cpu / wall * 100:.1f}%" if cpu is not None else "-",
            f"{bpf_ns / wall / 1e6 * 100:.1f}%",
            f_num(bpf_ns / truth if truth else None)])
        for name, ns, runs in prog_cost(r, lb):
            if lb in ("rate-max", "sites-8000", "go-detail") and runs > 100:
                prog_rows.append([f"`{lb}`", f"`{name}`", f_num(runs), f_num(ns / runs)])
    return "\n".join([
        "## 3. Pipeline capacity", "",
        "blockwatch attached over one run of a target that counts its own events: voluntary "
        "context switches of its threads (`getrusage`, what `sched_switch` sees) for C, 2 parks "
        "per round trip for Go. *counted*: completed waits in blockwatch's JSON reports (every "
        "report but the final one). *drops*: the `drops` of the last `interval` record, since "
        "attach. *blockwatch CPU*: its process (utime + stime) over the run, after its first "
        "report. *BPF CPU*: run time of its programs (`kernel.bpf_stats_enabled`), spent in the "
        "context of the tasks that hit them, not in blockwatch's process.", "",
        table(["run", "target events/s", "events", "counted", "counted / events", "drops",
               "sites", "blockwatch CPU", "BPF CPU", "BPF ns per event"], rows), "",
        "BPF run time per program (ns per run, bpf_stats; a `tp_btf` sched program runs for "
        "every task switch on the machine, the target's or not):", "",
        table(["run", "program", "runs", "ns per run"], prog_rows), ""])


def part4(r, meta):
    rows = []
    for label, mode in (("goroutines", "default"), ("goroutines", "detail"),
                        ("threads", "default")):
        rss, bpf = r.med("4", label, mode, "hwm_kb"), r.med("4", label, mode, "bpf_memlock")
        rows.append([
            label, mode, f_num(r.med("4", label, mode, "blocked")),
            f_num(r.med("4", label, mode, "attach_ms")),
            f_num(r.med("4", label, mode, "first_report_ms")),
            f_num(r.med("4", label, mode, "first_report_cpu_ms")),
            f_num(r.med("4", label, mode, "cpu_per_report_ms")),
            f_num(rss / 1024 if rss else None), f_num(bpf / 1048576 if bpf else None),
            f_num((rss / 1024 + bpf / 1048576) if rss and bpf else None)])
    per100k = r.med("4", "goroutines", "default", "cpu_per_report_ms")
    n = r.med("4", "goroutines", "default", "blocked")
    note = ""
    if per100k and n:
        note = (f"Snapshot cost with stacks cached: {per100k / (n / 100000):.0f} ms of CPU per "
                "100,000 goroutines per report.")
    return "\n".join([
        "## 4. Scale", "",
        f"`many_blocked -n {meta.get('goroutines', '1000000')}` (Go: every goroutine blocked "
        "in `chan receive` at one site; the target itself takes "
        f"{f_num(r.one('4', 'goroutines', 'setup', 'target_ready_ms'))} ms to start them and "
        f"holds {f_num((r.one('4', 'goroutines', 'setup', 'target_rss_kb') or 0) / 1024)} MB) "
        f"and `blocker mutex {meta.get('threads', '10000')}` (C: threads blocked on one mutex), "
        f"`blockwatch -p PID -i 1 --json -o FILE [-D]`, {meta.get('scale_reps', '?')} runs each. "
        "*attach*: launch to every probe attached (the report file is opened then); *first "
        "report*: launch to the first report written (includes the 1 s interval); *CPU per "
        "report*: blockwatch's CPU time per later report (each must fit in the interval); "
        "memory: VmHWM of blockwatch and `memlock` of its BPF maps.", "",
        table(["target", "mode", "blocked seen", "attach ms", "first report ms",
               "CPU to first report ms", "CPU per report ms", "RSS (HWM) MB", "BPF maps MB",
               "total MB"], rows), "", note, ""])


def part5(r, meta):
    rows = []
    for mode in ("default", "detail"):
        rows.append([mode, f_num(r.med("5", "prometheus", mode, "attach_ms")),
                     f_num(r.med("5", "prometheus", mode, "first_report_ms")),
                     f_num(r.med("5", "prometheus", mode, "first_report_cpu_ms")),
                     f_num(r.med("5", "prometheus", mode, "blocked"))])
    return "\n".join([
        "## 5. Start-up on a large Go binary", "",
        f"Debian's `/usr/bin/prometheus` ({meta.get('prometheus_mb', '?')} MB, "
        f"{meta.get('prometheus_version', '?')}; stripped, Go 1.19), running with a 2 s "
        f"self-scrape; `blockwatch -p PID -i 1 --json -o FILE [-D]`, {meta.get('reps', '?')} "
        "runs each (medians).", "",
        table(["mode", "launch to attached ms", "launch to first report ms",
               "CPU to first report ms", "goroutines blocked"], rows), ""])


def mb(kb=None, nbytes=None):
    if kb is not None:
        return kb / 1024
    return nbytes / 1048576 if nbytes is not None else None


def part6_population(r):
    rows = []
    for label, mode, what in (("alone", "default", "default, before the population"),
                              ("population", "default", "default"),
                              ("population", "detail", "detail")):
        med = lambda k: r.med("6", label, mode, k)  # noqa: E731
        if med("first_report_ms") is None:
            continue
        rss, bpf = mb(kb=med("hwm_kb")), mb(nbytes=med("bpf_memlock"))
        rows.append([
            what, f_num(med("attach_ms")), f_num(med("first_report_ms")),
            f_num(med("first_report_cpu_ms")), f_num(med("cpu_per_report_ms")),
            f_num(rss), f_num(bpf), f_num(rss + bpf if rss and bpf else None),
            f"{f_num(med('processes'))} / {f_num(med('go_processes'))} / "
            f"{f_num(med('go_binaries'))}",
            f"{f_num(med('ours_go'))} / {f_num(med('ours_other'))}",
            f_num(med("goroutines")),
            " / ".join(f_num(med(k)) for k in ("bpf_progs", "bpf_maps", "bpf_links", "uprobes"))])
    return table(["mode", "attach ms", "first report ms", "CPU to first report ms",
                  "CPU per report ms", "RSS (HWM) MB", "BPF maps MB", "total MB",
                  "processes / Go / Go binaries in a report", "population seen: Go / other",
                  "population goroutines", "BPF progs / maps / links / uprobes"], rows)


def latency(r, bench, mode, key):
    """'median / max (found of started)' over the new processes of one kind."""
    vals = [v for v in r.reps("6", bench, mode, key).values() if isinstance(v, float)]
    started = len(r.reps("6", bench, mode, "started"))
    if not vals:
        return f"- (0 of {started})"
    found = "" if len(vals) == started else f" ({len(vals)} of {started})"
    return f"{f_num(statistics.median(vals))} / {f_num(max(vals))}{found}"


def part6_attach(r):
    rows = []
    for mode in ("default", "detail"):
        for kind, what in (("new", "`ticker`: a binary no other process runs"),
                           ("shared", "`no_sender`: the binary of 1/5 of the population")):
            bench = "attach-" + kind
            if not r.reps("6", bench, mode, "started"):
                continue
            probe, waits = "-", "-"
            if mode == "detail":
                before = r.med("6", bench, mode, "probes_before")
                probe = latency(r, bench, mode, "probe_ms")
                if before and probe.startswith("- "):
                    probe = f"none new: {f_num(before)} held before (shared)"
                elif before:
                    probe += f"; {f_num(before)} held before"
                waits = latency(r, bench, mode, "waits_ms")
            rows.append([mode, what, len(r.reps("6", bench, mode, "started")),
                         latency(r, bench, mode, "report_ms"), probe, waits])
    return table(["mode", "new Go process", "started", "exec to its goroutines in a report ms",
                  "exec to a new uprobe on its binary ms", "exec to its first timed wait ms"],
                 rows)


def clean_reps(r, bench, mode):
    """{rep: ns_per_op} of the runs no other program probed (foreign_uprobes 0 or unknown)."""
    foreign = r.reps("6", bench, mode, "foreign_uprobes")
    return {k: v for k, v in r.reps("6", bench, mode, "ns_per_op").items()
            if isinstance(v, float) and not foreign.get(k)}


def clean_ratio(r, bench, mode):
    a, b = clean_reps(r, bench, mode), clean_reps(r, bench, "bare")
    rs = [a[k] / b[k] for k in a if k in b and b[k]]
    return statistics.median(rs) if rs else None


def part6_cost(r):
    rows, left_out = [], 0
    for b, what in (("chan", "Go `gobench -bench chan`"),
                    ("mutex", "C `pthread_bench mutex 4`")):
        modes = ("bare", "default", "detail")
        reps = {m: clean_reps(r, b, m) for m in modes}
        left_out += sum(len(r.reps("6", b, m, "ns_per_op")) - len(reps[m]) for m in modes)
        bare = list(reps["bare"].values())
        spread = ((max(bare) - min(bare)) / statistics.median(bare)) if len(bare) > 1 else None
        rows.append([what] + [f_ns(statistics.median(reps[m].values()) if reps[m] else None)
                              for m in modes]
                    + [f_x(clean_ratio(r, b, m)) for m in ("default", "detail")]
                    + [f_num(spread, "{:.0%}")])
    text = table(["benchmark", "bare ns/op", "default ns/op", "detail ns/op", "default/bare",
                  "detail/bare", "bare spread"], rows)
    if left_out:
        text += (f"\n\n{left_out} Go run(s) left out: another program's uprobes were in "
                 "`gobench` before or after the run (a breakpoint at a probe point that "
                 "`bpftool perf` lists on its binary), e.g. another system-wide `blockwatch "
                 "-D` on this shared machine.")
    return text


def part6(r, meta):
    ngo, nother = meta.get("sw_go", "50"), meta.get("sw_other", "200")
    targets = ", ".join(f"`{t}`" for t in meta.get("sw_targets", "").split())
    return "\n".join([
        f"## 6. System-wide: {ngo} Go + {nother} other processes", "",
        f"A population started for this part: {ngo} Go processes, the leak targets {targets} "
        "in turn (several processes per binary; `-rate 5 -max 20`: each leaks 20 goroutines "
        f"in 4 s, then idles), and {nother} C processes, `blocker mutex 2` and `blocker cond` "
        "in turn (threads blocked forever on a mutex or a condition variable); starting them "
        f"took {f_num(r.one('6', 'population', 'setup', 'start_ms'))} ms and the machine then "
        f"had {f_num(r.one('6', 'population', 'setup', 'machine_processes'))} processes (kernel "
        "threads and other users' processes included). Then `blockwatch -i 1 --json -o FILE "
        f"[-D]` with no `-p`, {meta.get('scale_reps', '?')} runs per mode; each run measures, "
        "in order, its start-up and three reports, the two benchmarks below, then new Go "
        "processes started one at a time (medians over runs). The first row is one run on "
        "the machine alone, before the population starts.", "",
        part6_population(r), "",
        "*attach*: launch to every probe attached (the report file is opened then); *first "
        "report*: launch to the first report written; *CPU per report*: blockwatch's CPU time "
        "per later report; memory: VmHWM of blockwatch and `memlock` of its BPF maps; "
        "*processes / Go / Go binaries in a report*: `process` records of the last report, of "
        "them `is_go`, and the distinct executables of those; *population seen*: the "
        "population's Go processes shown as Go with their "
        "goroutines counted, and its other processes shown at all; *population goroutines*: "
        "the goroutines of those Go processes; *BPF progs / maps / links / uprobes*: distinct "
        "programs and maps among blockwatch's file descriptors, its links, and its uprobe perf "
        "events (`BPF_TASK_FD_QUERY`).", "",
        "### A Go process started while blockwatch runs", "",
        "`tests/bench/systemwide.py attach` starts the process and polls every 20 ms; times "
        "are from just before its exec, median / max (with how many were found when not "
        "all, within 15 s).", "",
        part6_attach(r), "",
        "*goroutines in a report*: its `process` record, Go, with goroutines counted, is in "
        "the JSON file (reports come every second, so this includes the wait for the next "
        "one); *a new uprobe on its binary*: blockwatch holds a uprobe on its executable that "
        "it did not hold before the start (a binary already probed for other processes may "
        "need none: *held before*); *first timed wait*: the first report with a completed "
        "wait at one of its goroutine sites, which only detail mode's uprobes time.", "",
        "### Cost to a Go and a C benchmark", "",
        f"Both run on the same machine as the population, {meta.get('secs', '1')} s per run, "
        "bare (no blockwatch) and under each system-wide blockwatch run, interleaved; ratios "
        "are medians of per-run ratios.", "",
        part6_cost(r), ""])


def per_hit(r, bench, num, den):
    """(num - den) ns per op over the probe hits per op (parks + readies, bpftrace's count)."""
    a, b = r.med("1", bench, num, "ns_per_op"), r.med("1", bench, den, "ns_per_op")
    ops = r.med("1", bench, "bpftrace", "ops")
    parks, readies = r.med("1", bench, "bpftrace", "parks"), r.med("1", bench, "bpftrace", "readies")
    if None in (a, b, ops, parks, readies) or not ops or not (parks + readies):
        return None
    return (a - b) / ((parks + readies) / ops)


def ratio_range(r, part, benches, num, den, key="ns_per_op"):
    vals = [v for v in (r.ratio(part, b, num, den, key) for b in benches) if v is not None]
    return (min(vals), max(vals)) if vals else (None, None)


def prog_ns(r, label, name):
    ns, runs = r.one("3", label, "bw", "bpf_ns:" + name), r.one("3", label, "bw", "bpf_runs:" + name)
    return ns / runs if ns is not None and runs else None


def sleeps_note(r):
    """Thread sleeps per second of the bare targets: what the sched programs see."""
    rates = {}
    for b in GO_BENCHES + ["http"]:
        n = r.med("1", b, "bare", "thread_sleeps")
        secs = None
        if b == "http":
            secs = r.one("1", "http", "bare", "secs")
        else:
            ns, ops = r.med("1", b, "bare", "ns_per_op"), r.med("1", b, "bare", "ops")
            secs = ns * ops / 1e9 if ns and ops else None
        if n is not None and secs:
            rates[b] = n / secs
    if "http" not in rates or len(rates) < 2:
        return ""
    lo = min(v for k, v in rates.items() if k != "http")
    hi = max(v for k, v in rates.items() if k != "http")
    return (f" The target's threads sleep {f_num(lo)} to {f_num(hi)} times per second in the "
            f"microbenchmarks, {f_num(rates['http'])} in the HTTP server.")


def reading_part1(r):
    out = []
    lo, hi = ratio_range(r, "1", GO_BENCHES, "blockwatch", "bare")
    http = r.ratio("1", "http", "blockwatch", "bare", "req_per_s")
    sw = prog_ns(r, "go-detail", "on_sched_switch")
    out.append(
        f"- **Default view.** On the Go microbenchmarks blockwatch/bare is {f_x(lo)} to "
        f"{f_x(hi)}, on the HTTP server's throughput {f_x(http)}; compare with the bare "
        "spread column, this machine's noise. No uprobe is placed: goroutines are read from "
        "`/proc/PID/mem` once per interval. What remains is the thread level: blockwatch's "
        "`tp_btf/sched_switch` program runs at every voluntary sleep of the target's threads "
        "(Go's idle Ms sleep on futexes between bursts); a sleep inside the Go runtime's own "
        "code takes no stack (the thread view hides those), so it costs "
        f"{f_ns(sw)} ns per run on average, over every switch on the machine, during part 3's "
        "Go run."
        + sleeps_note(r))
    trap = per_hit(r, "chan", "floor", "bare")
    prog = per_hit(r, "chan", "detail", "floor")
    park, ready = prog_ns(r, "go-detail", "go_park"), prog_ns(r, "go-detail", "go_ready")
    lo, hi = ratio_range(r, "1", GO_BENCHES[:4], "detail", "floor")
    out.append(
        f"- **Detail mode: the trap.** The floor (empty programs at the same offsets) costs "
        f"{f_ns(trap)} ns per probe hit on `chan` (floor − bare over parks + readies per op): "
        "the price of the uprobe itself on the emulated `jbe` after the stack check, already "
        "the cheap spot (a probe on the function's first instruction is single-stepped, "
        "~16 µs here, which is what bpftrace pays). detail/floor is "
        f"{f_x(lo)} to {f_x(hi)} on the blocking microbenchmarks: blockwatch's own programs "
        f"add {f_ns(prog)} ns per hit on `chan`; bpf_stats says `go_park` {f_ns(park)} ns and "
        f"`go_ready` {f_ns(ready)} ns per run. `go_park` reads one kilobyte of the goroutine's "
        "stack and hashes up to 8 return addresses from it along the frame pointers, then "
        "rewrites the goroutine's `parked` entry in place (keyed by the `runtime.g` address "
        "in a register: no goid read; the site's stack is looked up only when the goroutine "
        "parks somewhere new); `go_ready` looks the entry up, marks it not parked and adds to "
        "its CPU's copy of the site's stats (a per-CPU map: no shared cache line).")
    spawn_floor = r.ratio("1", "spawn", "floor", "bare", "ns_per_op")
    spawn_bt = r.ratio("1", "spawn", "bpftrace", "bare", "ns_per_op")
    out.append(
        f"- **Detail mode on a non-blocking path.** `spawn` parks almost never: floor/bare "
        f"is {f_x(spawn_floor)}, detail/bare "
        f"{f_x(r.ratio('1', 'spawn', 'detail', 'bare', 'ns_per_op'))} (bpftrace "
        f"{f_x(spawn_bt)}). Nothing is probed on goroutine exit: the `parked` entries of "
        "goroutines that exited, or that the netpoller readied without `runtime.ready`, are "
        "pruned by userspace against each snapshot.")
    lo, hi = ratio_range(r, "1", GO_BENCHES[:4], "bpftrace", "detail")
    hd, hf = (r.ratio("1", "http", "detail", "bare", "req_per_s"),
              r.ratio("1", "http", "floor", "bare", "req_per_s"))
    out.append(
        f"- **Against the peers.** bpftrace (same events, by symbol) is {f_x(lo, 1)} to "
        f"{f_x(hi, 1)} slower than detail mode on the blocking microbenchmarks (the issue's "
        "goal is at least 10×); it pays the single-stepped first instruction and a map update "
        f"per hit. On the HTTP server detail mode keeps {f_x(hd)} of bare throughput and the "
        f"floor alone {f_x(hf)}"
        + (": the traps alone already exceed the issue's 10% budget, whatever the programs do"
           if hf is not None and hf < 0.9 else "")
        + ". Go's execution tracer costs "
        f"{f_x(r.ratio('1', 'chan', 'trace', 'bare', 'ns_per_op'), 1)} on `chan` and keeps "
        f"{f_x(r.ratio('1', 'http', 'trace', 'bare', 'req_per_s'))} of HTTP throughput; a "
        "goroutine profile pulled every second costs "
        f"{f_x(r.ratio('1', 'chan', 'pprof', 'bare', 'ns_per_op'))} on `chan` and keeps "
        f"{f_x(r.ratio('1', 'http', 'pprof', 'bare', 'req_per_s'))} of HTTP throughput with "
        "a handful of goroutines; its work grows with the goroutine count (every stack is "
        "walked and sent each second).")
    return out


def reading_rest(r, parts):
    out = []
    if "2" in parts:
        sw = prog_ns(r, "rate-max", "on_sched_switch")
        out.append(
            f"- **Thread level.** blockwatch/bare is {f_x(r.ratio('2', 'mutex', 'blockwatch', 'bare', 'ns_per_op'))} "
            f"on `mutex` and {f_x(r.ratio('2', 'cond', 'blockwatch', 'bare', 'ns_per_op'))} on "
            f"`cond`, the empty sched programs {f_x(r.ratio('2', 'mutex', 'floor', 'bare', 'ns_per_op'))} "
            f"and {f_x(r.ratio('2', 'cond', 'floor', 'bare', 'ns_per_op'))}. `on_sched_switch` "
            f"takes {f_ns(sw)} ns per run at the unpaced rate of part 3 (averaged over every "
            "switch on the machine, most of them filtered out at once): for a target's sleep it "
            "walks and hashes the user stack (`bpf_get_stackid`) every time; the kernel stack, "
            "an example per site, only for a site that has none yet.")
    if "3" in parts:
        rate_max = r.one("3", "rate-max", "bw", "truth")
        wall = r.one("3", "rate-max", "bw", "wall_ms")
        go = r.one("3", "go-detail", "bw", "truth")
        gow = r.one("3", "go-detail", "bw", "wall_ms")
        def drop_kinds(bench):
            detail = r.one("3", bench, "bw", "drop_detail")
            kinds = {}
            for part in str(detail or "").split(","):
                name, _, n = part.partition("=")
                if n.strip().isdigit():
                    kinds[name.strip()] = int(n)
            return kinds

        k1000, k16000 = drop_kinds("sites-1000"), drop_kinds("sites-16000")
        t1000 = r.one("3", "sites-1000", "bw", "truth")
        unseen = {b: drop_kinds(b).get("ends_unseen", 0)
                  for b in ("rate-max", "sites-1000", "sites-16000")}
        cpu8 = r.one("3", "sites-8000", "bw", "tool_cpu_ms")
        w8 = r.one("3", "sites-8000", "bw", "wall_ms")
        out.append(
            "- **Pipeline.** Nothing crosses to userspace per event (waits are aggregated in "
            "BPF maps, the ring buffer carries only exec/exit), so the event rate cannot cause "
            "drops: every wait was counted at the highest rates this machine produced ("
            f"{f_num(rate_max / wall * 1000 if rate_max and wall else None)} thread sleeps/s, "
            f"{f_num(go / gow * 1000 if go and gow else None)} goroutine parks/s with `-D`). "
            "The price is paid in BPF time on the target's CPUs (BPF CPU column). Drops begin "
            "with distinct sites, not with rate: a user stack whose bucket in the kernel's "
            "stack map (`BPF_MAP_TYPE_STACK_TRACE`, 16,384 buckets) is taken goes to an "
            f"overflow hash map instead ({f_num(k1000.get('ustack', 0))} stacks lost in "
            f"{f_num(t1000)} waits at 1,000 stacks, {f_num(k16000.get('ustack', 0))} at "
            "16,000); past `--max-sites` (16,384) sites, waits are dropped and counted "
            "(`waits_full`). `ends_unseen` is no loss: a wait whose end no tracepoint reported "
            "is counted at its thread's next sleep, its duration bounded from above "
            f"({f_num(unseen['rate-max'])} at the unpaced rate, {f_num(unseen['sites-1000'])} "
            f"at 1,000 stacks, {f_num(unseen['sites-16000'])} at 16,000, all counted). "
            "Userspace pays for new sites: "
            f"{f_num(cpu8 / w8 * 100 if cpu8 is not None and w8 else None, '{:.0f}')}% of a CPU "
            "while 8,000 stacks keep appearing (unwinding and symbolizing each new one).")
    if "4" in parts:
        cpu = r.med("4", "goroutines", "default", "cpu_per_report_ms")
        tot = [r.med("4", "goroutines", m, "hwm_kb") for m in ("default", "detail")]
        bpf = [r.med("4", "goroutines", m, "bpf_memlock") for m in ("default", "detail")]
        mem = [t / 1024 + b / 1048576 if t and b else None for t, b in zip(tot, bpf)]
        out.append(
            f"- **Scale.** With 1,000,000 blocked goroutines a report costs {f_num(cpu)} ms of "
            "CPU with every stack cached"
            + (" — more than the 1 s interval, so reports fall behind" if cpu and cpu > 1000
               else "")
            + ": the reads of every `runtime.g` through `process_vm_readv` (page walks in the "
            "kernel) and two hash lookups per goroutine (the snapshot's stack cache and the "
            f"aggregate's waiter map). Memory: {f_num(mem[0])} MB in the default view (RSS + "
            f"BPF maps), {f_num(mem[1])} MB with `-D` (its maps are allocated as goroutines "
            "park and sites appear, and sized to the target).")
    if "5" in parts:
        out.append(
            f"- **Start-up.** On the 47 MB stripped prometheus binary, probes are attached "
            f"{f_num(r.med('5', 'prometheus', 'default', 'attach_ms'))} ms after launch "
            f"({f_num(r.med('5', 'prometheus', 'detail', 'attach_ms'))} ms with `-D`, which "
            "also builds the pcln name index and loads the uprobe object); the first report "
            "follows one interval later.")
    return out


def floats(r, bench, modes, key):
    return [v for m in modes for v in r.reps("6", bench, m, key).values()
            if isinstance(v, float)]


def med_max(vals):
    return f"{f_num(statistics.median(vals))} ms (median, {f_num(max(vals))} at most)"


def reading_sw_memory(r):
    med = lambda m, k: r.med("6", "population", m, k)  # noqa: E731
    alone = lambda k: r.med("6", "alone", "default", k)  # noqa: E731
    tot = {}
    for m in ("default", "detail"):
        rss, bpf = med(m, "hwm_kb"), med(m, "bpf_memlock")
        tot[m] = rss / 1024 + bpf / 1048576 if rss and bpf else None
    text = (f"Among {f_num(med('default', 'processes'))} processes "
            f"({f_num(med('default', 'go_processes'))} Go), blockwatch holds "
            f"{f_num(tot['default'])} MB in the default view and {f_num(tot['detail'])} MB with "
            f"`-D` (RSS + BPF maps), and spends {f_num(med('default', 'cpu_per_report_ms'))} / "
            f"{f_num(med('detail', 'cpu_per_report_ms'))} ms of CPU per 1 s report.")
    n = (med("default", "processes") or 0) - (alone("processes") or 0)
    if n > 0 and alone("hwm_kb") and med("default", "hwm_kb"):
        text += (f" Each process costs it about "
                 f"{(med('default', 'hwm_kb') - alone('hwm_kb')) / n:,.0f} kB of memory and "
                 f"{(med('default', 'cpu_per_report_ms') - alone('cpu_per_report_ms')) / n:.2f}"
                 " ms of CPU per report (the population against the machine alone).")
    bpf_d, bpf_0, nbin = (med("detail", "bpf_memlock"), med("default", "bpf_memlock"),
                          med("detail", "go_binaries"))
    if bpf_d and bpf_0 and nbin:
        text += (f" `-D` adds {(bpf_d - bpf_0) / 1048576 / nbin:.1f} MB of BPF maps per Go "
                 f"binary probed ({f_num(nbin)} binaries, {f_num(med('detail', 'uprobes'))} "
                 f"uprobes for {f_num(med('detail', 'go_processes'))} Go processes).")
    return text


def reading_sw_attach(r):
    found = floats(r, "attach-new", ("default", "detail"), "report_ms") + \
        floats(r, "attach-shared", ("default", "detail"), "report_ms")
    probe = floats(r, "attach-new", ("detail",), "probe_ms")
    waits = floats(r, "attach-new", ("detail",), "waits_ms") + \
        floats(r, "attach-shared", ("detail",), "waits_ms")
    text = ("A Go process started meanwhile is in a report "
            + (f"{med_max(found)} after its exec, reports being 1 s apart." if found
               else "never."))
    if probe:
        text += (f" With `-D` a binary not probed yet has its uprobes {med_max(probe)} after "
                 "its exec (the issue asks for one second)")
        text += (f", and the new process's first timed waits are in a report after "
                 f"{med_max(waits)}." if waits else ".")
    return text


def reading_sw_cost(r):
    p1 = r.ratio("1", "chan", "detail", "bare", "ns_per_op")
    p2 = r.ratio("2", "mutex", "blockwatch", "bare", "ns_per_op")
    return (f"The chan ping-pong costs {f_x(clean_ratio(r, 'chan', 'default'))}"
            " in the default view and "
            f"{f_x(clean_ratio(r, 'chan', 'detail'), 1)} with `-D` (every Go "
            "process is probed, this one too" + (f"; part 1, `-p`: {f_x(p1, 1)}" if p1 else "")
            + "); the C mutex benchmark "
            f"{f_x(clean_ratio(r, 'mutex', 'default'))}"
            + (f" (part 2, `-p`: {f_x(p2)})" if p2 else "")
            + ": the sched programs walk the user stack at every sleep of a watched thread "
            "outside a Go runtime, and system-wide every process's threads are watched; "
            "blockwatch's own CPU per report competes with the benchmarks on 2 cores.")


def reading_part6(r):
    return " ".join(["- **System-wide.**", reading_sw_memory(r), reading_sw_attach(r),
                     reading_sw_cost(r)])


def reading(r, parts):
    out = ["## Reading", ""]
    if "1" in parts:
        out += reading_part1(r)
    out += reading_rest(r, parts)
    if "6" in parts:
        out.append(reading_part6(r))
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    meta, res = load(sys.argv[1], sys.argv[2])
    r = Results(res)
    parts = {k[0] for k in res}
    sections = ["# blockwatch benchmarks", "",
                "Written by `make bench` (`scripts/bench.sh`, `tests/bench/`); every number "
                "below comes from one run of it. Do not edit by hand: run `sudo make bench`.",
                "", "## Machine", "", machine(meta), "", "## How", "", commands(meta), ""]
    if "1" in parts:
        sections.append(part1(r, meta))
    if "2" in parts:
        sections.append(part2(r))
    if "3" in parts:
        sections.append(part3(r))
    if "4" in parts:
        sections.append(part4(r, meta))
    if "5" in parts:
        sections.append(part5(r, meta))
    if "6" in parts:
        sections.append(part6(r, meta))
    sections.append(reading(r, parts))
    print("\n".join(sections).rstrip() + "\n")


if __name__ == "__main__":
    main()
