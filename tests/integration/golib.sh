# Helpers for the Go integration tests; source after lib.sh.
#
# A Go test builds its targets (tests/targets/go/<name>, plain and stripped) with
# scripts/build-go-targets.sh, starts one, waits for its ground truth to settle (see
# tests/targets/go/common/truth.go for the protocol), runs blockwatch with --json and checks the
# records of one interval against the ground truth with python3 (bw_go_json below).
: "${BW_GO_OUT:=$BW_ROOT/build/go-targets}"
BW_GO_SRC=$BW_ROOT/tests/targets/go

go_prereqs() {
	need_root
	command -v go >/dev/null || skip "needs Go (golang-go) to build the targets"
	command -v python3 >/dev/null || skip "needs python3 for the JSON assertions"
	[ -x "$BLOCKWATCH" ] || fail "blockwatch is not built: '$BLOCKWATCH' (run make)"
}

go_build_targets() {
	"$BW_ROOT/scripts/build-go-targets.sh" "$BW_GO_OUT" "$@" >&2 ||
		fail "failed to build Go targets: $*"
}

# go_target_bin NAME plain|stripped
go_target_bin() {
	case $2 in
	plain) echo "$BW_GO_OUT/$1" ;;
	stripped) echo "$BW_GO_OUT/$1.stripped" ;;
	*) fail "unknown variant '$2'" ;;
	esac
}

# start_go_target NAME VARIANT ARGS...: sets GT_PID, GT_OUT (stdout: the ground truth), GT_ERR,
# and waits for "ready".
start_go_target() {
	local name=$1 variant=$2 bin
	shift 2
	bin=$(go_target_bin "$name" "$variant")
	GT_OUT=$BW_TMP/$name.$variant.out
	GT_ERR=$BW_TMP/$name.$variant.err
	spawn "$bin" "$@" >"$GT_OUT" 2>"$GT_ERR"
	GT_PID=$!
	wait_for_line "$GT_OUT" '^ready$' 30
}

stop_go_target() {
	kill -9 "$GT_PID" 2>/dev/null || true
	wait "$GT_PID" 2>/dev/null || true
}

# truth_last FILE: the last complete ground-truth line.
truth_last() {
	{ grep -E '^goroutines [0-9]+ leaked [0-9]+' "$1" || true; } | tail -1
}

# truth_field LINE KEY: the number after KEY ("goroutines", "leaked" or a FUNC of a FUNC=K pair).
truth_field() {
	local line=$1 key=$2 w
	set -f
	for w in $line; do
		case $w in
		"$key="*) echo "${w#"$key="}"; set +f; return 0 ;;
		esac
	done
	set +f
	case $key in
	goroutines) awk '{print $2}' <<<"$line" ;;
	leaked) awk '{print $4}' <<<"$line" ;;
	*) fail "no '$key' in ground truth '$line'" ;;
	esac
}

# wait_truth_leaked FILE N TIMEOUT: until N goroutines are leaked and the leak counts (not the
# goroutine total, which transient goroutines move) have not changed for one second.
wait_truth_leaked() {
	local file=$1 want=$2 timeout=$3 i last
	for ((i = 0; i < timeout * 5; i++)); do
		last=$({ grep -E '^goroutines' "$file" || true; } | tail -5 | cut -d' ' -f3- | sort -u)
		if [ "$(grep -c '^goroutines' "$file")" -ge 5 ] && [ "$(wc -l <<<"$last")" -eq 1 ] &&
			[ "$(awk '{print $2}' <<<"$last")" -ge "$want" ]; then
			return 0
		fi
		sleep 0.2
	done
	fail "target did not settle at $want leaked goroutines in ${timeout}s: $(truth_last "$file")"
}

# leak_site_line NAME FUNC: the line of main.go marked "// LEAK-SITE FUNC".
leak_site_line() {
	local n
	n=$(awk -v m="// LEAK-SITE $2" \
		'{ i = index($0, m); if (i && i + length(m) - 1 == length($0)) print NR }' \
		"$BW_GO_SRC/$1/main.go")
	[ "$(wc -w <<<"$n")" -eq 1 ] || fail "expected one LEAK-SITE marker for '$2' in $1/main.go, found '$n'"
	echo "$n"
}

# run_blockwatch JSON_OUT ARGS...: runs blockwatch on $GT_PID with --json; stdout to JSON_OUT,
# stderr to JSON_OUT.err, exit status in BW_RC.
run_blockwatch() {
	local out=$1
	shift
	BW_RC=0
	timeout --kill-after=5 120 "$BLOCKWATCH" -p "$GT_PID" "$@" --json >"$out" 2>"$out.err" ||
		BW_RC=$?
	if [ "$BW_RC" -ne 0 ] && [ "$BW_RC" -ne 10 ]; then
		sed 's/^/    blockwatch: /' "$out.err" | tail -20 >&2
		fail "blockwatch exited with $BW_RC (expected 0 or 10)"
	fi
	[ -s "$out" ] || fail "blockwatch wrote no JSON on stdout (stderr: $(tail -3 "$out.err"))"
}

# go_check_leak NAME VARIANT "TARGET ARGS" SPEC...
#   SPEC is FUNC|REASON: blockwatch's last interval must hold goroutine sites blocked with REASON
#   whose frames include FUNC at NAME/main.go:<its LEAK-SITE line>, FUNC=K goroutines in all
#   (within 2%), and a process record whose goroutine count is within 2% of NumGoroutine.
# Leaves GT_JSON and GT_TRUTH (the ground truth after the run) for further checks.
go_check_leak() {
	local name=$1 variant=$2 args=$3 spec func reason line want before
	shift 3
	start_go_target "$name" "$variant" $args
	wait_truth_leaked "$GT_OUT" "$(sed -n 's/.*-max \([0-9]*\).*/\1/p' <<<"$args")" 40
	before=$(truth_last "$GT_OUT")
	GT_JSON=$BW_TMP/$name.$variant.json
	run_blockwatch "$GT_JSON" -i 1 -d 4
	sleep 0.3
	GT_TRUTH=$(truth_last "$GT_OUT")
	[ "$(cut -d' ' -f3- <<<"$before")" = "$(cut -d' ' -f3- <<<"$GT_TRUTH")" ] ||
		fail "ground truth moved during the run: '$before' -> '$GT_TRUTH'"
	echo "$name ($variant): ground truth: $GT_TRUTH"
	for spec in "$@"; do
		func=${spec%%|*}
		reason=${spec#*|}
		line=$(leak_site_line "$name" "$func")
		want=$(truth_field "$GT_TRUTH" "$func")
		bw_go_json site "$GT_JSON" --func "$func" --file "/$name/main.go" --line "$line" \
			--reason "$reason" --count "$want" --tol 2 ||
			fail "$name ($variant): site $func at main.go:$line"
	done
	bw_go_json process "$GT_JSON" --count "$(truth_field "$GT_TRUTH" goroutines)" --tol 2 ||
		fail "$name ($variant): process goroutine count"
	stop_go_target
}

# go_check_control NAME SECONDS FUNC "TARGET ARGS" [EXITS]: a target that does not leak, watched
# for SECONDS. Its waiters in FUNC must be reported, with a verdict; no site of the last interval
# may carry "verdict":"leak"; blockwatch's exit status must be one of EXITS (default 0).
go_check_control() {
	local name=$1 secs=$2 func=$3 args=$4 accept=${5:-0}
	start_go_target "$name" plain $args
	GT_JSON=$BW_TMP/$name.json
	run_blockwatch "$GT_JSON" -i 1 -d "$secs"
	echo "$name: ground truth: $(truth_last "$GT_OUT"); blockwatch exit $BW_RC"
	bw_go_json no_leak "$GT_JSON" --func "$func" || fail "$name: control"
	[[ " $accept " == *" $BW_RC "* ]] ||
		fail "$name: blockwatch exited with $BW_RC, expected one of: $accept"
	stop_go_target
}

# bw_go_json CHECK JSON [options]: assertions on blockwatch's JSON lines (schema v1).
#   site     --func F --file SUFFIX [--line L] --reason R --count K --tol PCT [--first]
#            [--created-by F] [--min-age NS] [--lower-bound] [--verdict V]
#            [--growth G --growth-tol PCT]
#   process  --count K --tol PCT [--first]
#   no_leak  [--func F]
bw_go_json() {
	BW_PYDIR=$BW_ROOT/tests/integration python3 -c "$BW_GO_PY" "$@"
}

BW_GO_PY=$(
	cat <<'EOF'
import argparse, os, sys
sys.path.insert(0, os.environ["BW_PYDIR"])
import bwjson  # the shared reader of blockwatch's JSON lines

def load(path):
    recs = bwjson.load(path)
    if not recs:
        sys.exit("%s: no records" % path)
    return recs

def interval(recs, first):
    stamps = sorted({r["ts_ns"] for r in recs if "ts_ns" in r})
    if not stamps:
        sys.exit("no record carries ts_ns")
    ts = stamps[0] if first else stamps[-1]
    return ts, len(stamps), [r for r in recs if r.get("ts_ns") == ts]

def frame_str(f):
    path = "/".join(str(f.get("file") or "?").rsplit("/", 2)[-2:])
    return "%s %s:%s" % (f.get("function"), path, f.get("line"))

def describe(sites):
    out = []
    for s in sorted(sites, key=lambda s: -s.get("blocked", 0))[:10]:
        fr = [frame_str(f) for f in s.get("frames", [])
              if not str(f.get("function", "")).startswith("runtime.")][:3]
        out.append("    blocked=%s reason=%r verdict=%s frames=%s" %
                   (s.get("blocked"), s.get("reason"), s.get("verdict", "-"), fr))
    return "\n".join(out) or "    (no goroutine sites)"

def has_frame(s, a):
    for f in s.get("frames", []):
        if f.get("function") != a.func or not str(f.get("file", "")).endswith(a.file):
            continue
        if a.line is None or f.get("line") == a.line:
            return True
    return False

def within(got, want, tol):
    return abs(got - want) <= want * tol / 100.0

def check_site(a, recs):
    ts, n, recs = interval(recs, a.first)
    gsites = [r for r in recs if r.get("type") == "site" and r.get("kind") == "goroutine"]
    match = [s for s in gsites if has_frame(s, a)]
    where = "%s at *%s:%s" % (a.func, a.file, a.line)
    print("%s interval (%d of %d): %d goroutine sites; %d with %s" %
          ("first" if a.first else "last", 1 if a.first else n, n, len(gsites), len(match), where))
    errs = []
    if a.count == 0 and not match:
        return
    if not match:
        errs.append("no goroutine site has a frame %s" % where)
    for s in match:
        if s.get("reason") != a.reason:
            errs.append("site with %s has reason %r, expected %r (blocked=%s)" %
                        (where, s.get("reason"), a.reason, s.get("blocked")))
    match = [s for s in match if s.get("reason") == a.reason]
    got = sum(s.get("blocked", 0) for s in match)
    print("  blocked %d, ground truth %d" % (got, a.count))
    if not within(got, a.count, a.tol):
        errs.append("blocked %d, ground truth %d (tolerance %s%%)" % (got, a.count, a.tol))
    for s in match:
        age, cb = s.get("oldest_age_ns"), s.get("created_by") or {}
        print("  site: blocked=%s oldest_age_ns=%s lower_bound=%s created_by=%s verdict=%s growth=%s"
              % (s.get("blocked"), age, s.get("age_is_lower_bound"), cb.get("function"),
                 s.get("verdict"), s.get("growth_per_min")))
        if a.created_by and cb.get("function") != a.created_by:
            errs.append("created_by %r, expected %r" % (cb.get("function"), a.created_by))
        if a.min_age is not None and not (isinstance(age, int) and age >= a.min_age):
            errs.append("oldest_age_ns %r, expected >= %d" % (age, a.min_age))
        if a.lower_bound and s.get("age_is_lower_bound") is not True:
            errs.append("age_is_lower_bound %r, expected true" % s.get("age_is_lower_bound"))
        if a.verdict:
            if "verdict" not in s:
                errs.append("no \"verdict\" field in the site record (trend module missing?)")
            elif s["verdict"] != a.verdict:
                errs.append("verdict %r, expected %r" % (s["verdict"], a.verdict))
        if a.growth is not None:
            g = s.get("growth_per_min")
            if not isinstance(g, (int, float)) or not within(g, a.growth, a.growth_tol):
                errs.append("growth_per_min %r, expected %s +-%s%%" % (g, a.growth, a.growth_tol))
    if errs:
        print("FAIL: " + "\n      ".join(errs) + "\n  goroutine sites of that interval:\n" +
              describe(gsites))
        sys.exit(1)

def check_process(a, recs):
    ts, n, recs = interval(recs, a.first)
    procs = [r for r in recs if r.get("type") == "process"]
    if len(procs) != 1 or not isinstance(procs[0].get("goroutines"), int):
        sys.exit("FAIL: expected one process record with \"goroutines\" in the interval, got %r"
                 % procs)
    got = procs[0]["goroutines"]
    print("  process goroutines %d (waiting %s), NumGoroutine %d" %
          (got, procs[0].get("goroutines_waiting"), a.count))
    if not within(got, a.count, a.tol):
        sys.exit("FAIL: process goroutines %d, NumGoroutine %d (tolerance %s%%)" %
                 (got, a.count, a.tol))

def check_no_leak(a, recs):
    sites = [r for r in recs if r.get("type") == "site"]
    if not sites:
        sys.exit("FAIL: no site records at all")
    if not any("verdict" in s for s in sites):
        sys.exit("FAIL: no site record has a \"verdict\" field: the trend module is missing, "
                 "so a control cannot be shown not to leak")
    ts, n, last = interval(recs, False)
    if a.func:
        # any interval: a sawtooth may be empty at the very last one
        own = [s for s in sites if s.get("kind") == "goroutine" and
               any(f.get("function") == a.func for f in s.get("frames", []))]
        print("  %d site records with %s; in the last interval: %s" %
              (len(own), a.func, [(s.get("reason"), s.get("blocked"), s.get("verdict"))
                                  for s in own if s.get("ts_ns") == ts]))
        if not own:
            sys.exit("FAIL: the control's own waiters (%s) are not reported at all:\n%s" %
                     (a.func, describe([s for s in last if s.get("kind") == "goroutine"])))
        if any("verdict" not in s for s in own):
            sys.exit("FAIL: a site of %s has no \"verdict\" field" % a.func)
    leaks = [s for s in last if s.get("type") == "site" and s.get("verdict") == "leak"]
    ever = {(s.get("reason"), s.get("site_id")) for s in sites if s.get("verdict") == "leak"}
    print("  %d intervals; sites flagged leak at some point: %d; at the end: %d" %
          (n, len(ever), len(leaks)))
    if leaks:
        print("FAIL: leak verdicts in the last interval:\n" + describe(leaks))
        sys.exit(1)

p = argparse.ArgumentParser()
p.add_argument("check", choices=["site", "process", "no_leak"])
p.add_argument("json")
p.add_argument("--func"); p.add_argument("--file"); p.add_argument("--line", type=int)
p.add_argument("--reason"); p.add_argument("--count", type=int); p.add_argument("--tol", type=float)
p.add_argument("--first", action="store_true"); p.add_argument("--created-by")
p.add_argument("--min-age", type=int); p.add_argument("--lower-bound", action="store_true")
p.add_argument("--verdict"); p.add_argument("--growth", type=float)
p.add_argument("--growth-tol", type=float, default=30)
a = p.parse_args()
{"site": check_site, "process": check_process, "no_leak": check_no_leak}[a.check](a, load(a.json))
EOF
)

# go_sema_reason: the wait reason of a goroutine blocked in sync.Mutex.Lock or
# sync.WaitGroup.Wait, for the Go release that builds the targets. Go 1.19 parks both in
# runtime.semacquire1 with waitReasonSemacquire, "semacquire" (runtime/sema.go:150); later
# releases give them names of their own, to be added here when the build Go changes.
go_sema_reason() {
	local v
	v=$(go env GOVERSION)
	case $v in
	go1.19*) echo semacquire ;;
	*) fail "the wait reason of a blocked sync.Mutex.Lock under $v is not recorded in golib.sh" ;;
	esac
}
