# Helpers for the safety and resilience tests (test_safety_*.sh, test_resilience_*.sh); source
# after lib.sh. The targets check their own work: tests/targets/stress.c (C/pthread) and
# tests/targets/go/safety_load (Go), both printing "ready", then "ops ..." lines, and on SIGTERM
# "final ... check ok" (exit 0) or "check FAILED" (exit 3).
: "${BW_GO_OUT:=$BW_ROOT/build/go-targets}"
BW_BPFOBJS="python3 $BW_ROOT/tests/integration/bpfobjs.py"

safety_prereqs() {
	need_root
	command -v bpftool >/dev/null || skip "needs bpftool to list BPF objects"
	command -v python3 >/dev/null || skip "needs python3"
	[ -x "$BLOCKWATCH" ] || fail "blockwatch is not built: '$BLOCKWATCH' (run make)"
}

# build_go_load: builds tests/targets/go/safety_load (plain and stripped) if needed.
build_go_load() {
	command -v go >/dev/null || skip "needs Go (golang-go) to build the Go target"
	"$BW_ROOT/scripts/build-go-targets.sh" "$BW_GO_OUT" safety_load >&2 ||
		fail "failed to build the Go target safety_load"
}

# start_target NAME CMD...: starts CMD with stdout in $BW_TMP/NAME.out and waits for its
# "ready" line; the pid goes in the variable NAME_PID.
start_target() {
	local name=$1
	shift
	spawn "$@" >"$BW_TMP/$name.out" 2>"$BW_TMP/$name.err"
	printf -v "${name}_PID" '%s' "$!"
	wait_for_line "$BW_TMP/$name.out" '^ready' 20
}

# ops NAME [KEY]: the latest work counter of target NAME ("ops N", or KEY=N in an ops line).
ops() {
	local line
	line=$(grep '^ops ' "$BW_TMP/$1.out" | tail -1)
	if [ -n "${2:-}" ]; then
		sed -n "s/.*[ ]$2=\([0-9]*\).*/\1/p" <<<"$line"
	else
		awk '{print $2}' <<<"$line"
	fi
}

# cpu_ticks PID: user + system time of the process so far, in clock ticks (1/100 s)
cpu_ticks() {
	awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$1/stat"
}

# next_sample NAME KEY: waits for a fresh ops line; prints "OPS TICKS MS" at that moment.
next_sample() {
	local name=$1 key=$2 pid n i
	pid=${name}_PID
	n=$(grep -c '^ops ' "$BW_TMP/$name.out")
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '^ops ' "$BW_TMP/$name.out")" -gt "$n" ] && break
		sleep 0.01
	done
	echo "$(ops "$name" "$key") $(cpu_ticks "${!pid}") $(($(date +%s%N) / 1000000))"
}

# rate NAME KEY WINDOWS: the best of WINDOWS 2-second windows, as "OPS_PER_S OPS_PER_CPU_S".
# Work per CPU second is what a probe left in the target lowers (the traps are its own time),
# while other load on the machine only lowers work per second.
rate() {
	local name=$1 key=$2 n=$3 best=0 best_cpu=0 a b i r
	for ((i = 0; i < n; i++)); do
		read -ra a <<<"$(next_sample "$name" "$key")"
		sleep 1.9
		read -ra b <<<"$(next_sample "$name" "$key")"
		r=$(((b[0] - a[0]) * 1000 / (b[2] - a[2] + 1)))
		[ "$r" -gt "$best" ] && best=$r
		if [ $((b[1] - a[1])) -gt 0 ]; then
			r=$(((b[0] - a[0]) * 100 / (b[1] - a[1])))
			[ "$r" -gt "$best_cpu" ] && best_cpu=$r
		fi
	done
	echo "$best $best_cpu"
}

# recovered NAME KEY BEFORE_CPU: work per CPU second back to at least 60% of BEFORE_CPU (what
# rate printed second before attaching). Other tests' blockwatch runs on a shared machine put
# their own sched_switch programs on every context switch for a while, so a slow measure is
# retried for up to ~30 s: a probe or program of ours left behind would slow every one.
recovered() {
	local name=$1 key=$2 before=$3 i r cpu
	for ((i = 0; i < 7; i++)); do
		read -r r cpu <<<"$(rate "$name" "$key" 2)"
		echo "$name after: $r/s, $cpu per CPU-s (before: $before per CPU-s)"
		[ $((cpu * 100)) -ge $((before * 60)) ] && return 0
	done
	fail "$name: work per CPU second did not recover: $cpu after, $before before"
}

# like_control NAME CONTROL: work per CPU second of target NAME at least 60% of that of CONTROL,
# a fresh copy of the same program that was never watched, measured alongside. For targets that
# switch context all the time (the C queue), whose cost per switch moves with every BPF program
# anyone attaches to sched_switch on the machine, so that a before/after comparison is unfair
# while other tests run.
like_control() {
	local name=$1 control=$2 i r cpu rc cpuc
	for ((i = 0; i < 5; i++)); do
		read -r r cpu <<<"$(rate "$name" "" 1)"
		read -r rc cpuc <<<"$(rate "$control" "" 1)"
		echo "$name: $r/s, $cpu per CPU-s; never watched $control: $rc/s, $cpuc per CPU-s"
		[ $((cpu * 100)) -ge $((cpuc * 60)) ] && return 0
	done
	fail "$name: $cpu work per CPU second, a never-watched copy $cpuc"
}

# alive_and_progressing NAME: the target runs and its counter moves within 3 s (no deadlock).
alive_and_progressing() {
	local name=$1 key=${2:-} pid a i
	pid=${name}_PID
	kill -0 "${!pid}" 2>/dev/null || fail "target $name (pid ${!pid}) died: $(tail -3 "$BW_TMP/$name.err")"
	a=$(ops "$name" "$key")
	for ((i = 0; i < 30; i++)); do
		sleep 0.1
		[ "$(ops "$name" "$key")" != "$a" ] && return 0
	done
	fail "target $name made no progress in 3 s (${key:-ops} stuck at $a): deadlocked?"
}

# finish_target NAME: SIGTERM, then the target's own check must hold.
finish_target() {
	local name=$1 pid rc=0
	pid=${name}_PID
	kill -TERM "${!pid}"
	wait "${!pid}" || rc=$?
	grep -q 'check ok' "$BW_TMP/$name.out" ||
		fail "target $name: exit $rc, $(grep '^final' "$BW_TMP/$name.out" || echo 'no final line')"
	echo "target $name: $(grep '^final' "$BW_TMP/$name.out")"
}

# tracefs mounted, so that uprobe_events can be compared (unmounted at exit if we mounted it)
ensure_tracefs() {
	[ -e /sys/kernel/tracing/uprobe_events ] || [ -e /sys/kernel/debug/tracing/uprobe_events ] &&
		return 0
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || return 0
	trap 'umount /sys/kernel/tracing 2>/dev/null; bw_cleanup' EXIT
}

bpf_snapshot() { $BW_BPFOBJS snapshot "$BW_TMP/bpf.before"; }
# no_leftovers PID...: nothing of ours left in the kernel, no probe left in the targets' code
no_leftovers() {
	local pid
	$BW_BPFOBJS leaks "$BW_TMP/bpf.before" --wait 10 || fail "BPF objects left behind"
	for pid in "$@"; do
		$BW_BPFOBJS perf "$pid" || fail "uprobes left behind"
		$BW_BPFOBJS text "$pid" || fail "probe instructions left in pid $pid"
	done
}

# sanitizer_clean FILE: fail when FILE (a stderr) holds an ASan, UBSan or LSan report
sanitizer_clean() {
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehavior' "$1"; then
		grep -E -A12 'ERROR:|runtime error:' "$1" | head -40 >&2
		fail "sanitizer report in $1"
	fi
}
