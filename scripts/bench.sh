#!/usr/bin/env bash
# `make bench`: what blockwatch costs the processes it watches, measured in one run as ratios
# against a baseline of the same run, and written to BENCHMARKS.md (regenerated every run).
#
#   1. Go targets: microbenchmarks that block a lot and a net/http server under wrk, each
#      bare, with blockwatch (default view, detail mode), with empty programs at detail mode's
#      probe points (the floor), with a bpftrace peer, with Go's execution tracer, with a
#      goroutine profile pulled over HTTP every second
#   2. C/pthread targets: bare, blockwatch, empty sched programs (floor), a bpftrace peer
#   3. pipeline: events per second counted against the target's own count, drops, CPU
#   4. scale: 1,000,000 blocked goroutines, 10,000 blocked threads
#   5. start-up on a large Go binary (Debian's prometheus)
#   6. system-wide (no -p) among many processes: memory, CPU, attach latency of a new Go
#      process, cost to a Go and a C benchmark
#
# Needs root. Knobs (environment): BENCH_REPS (5), BENCH_SECS (1, one microbenchmark run),
# BENCH_HTTP_SECS (2), BENCH_SCALE_REPS (3), BENCH_GOROUTINES (1000000), BENCH_THREADS (10000),
# BENCH_SW_GO (50) and BENCH_SW_OTHER (200) processes for part 6, BENCH_SW_NEW (4, new Go
# processes per blockwatch run of part 6), BENCH_PARTS ("1 2 3 4 5 6"), BENCH_OUT
# (BENCHMARKS.md at the top of the tree).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
BW=$root/blockwatch
REPS=${BENCH_REPS:-5}
SECS=${BENCH_SECS:-1}
HTTP_SECS=${BENCH_HTTP_SECS:-2}
SCALE_REPS=${BENCH_SCALE_REPS:-3}
NGOROUTINES=${BENCH_GOROUTINES:-1000000}
NTHREADS=${BENCH_THREADS:-10000}
SW_GO=${BENCH_SW_GO:-50}
SW_OTHER=${BENCH_SW_OTHER:-200}
SW_NEW=${BENCH_SW_NEW:-4}
PARTS=${BENCH_PARTS:-1 2 3 4 5 6}
OUT=${BENCH_OUT:-$root/BENCHMARKS.md}
bin=$root/build/bench
work=$(mktemp -d /tmp/bwbench.XXXXXX)
results=$work/results.tsv
PIDS=()
SW_PIDS=() # part 6's population, apart: forgotten once reaped

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

cleanup() {
	local p live
	# BENCH_KEEP=DIR keeps the raw measurements (report.py renders them again without a run)
	if [ -n "${BENCH_KEEP:-}" ]; then
		mkdir -p "$BENCH_KEEP" && { cp "$work"/*.tsv "$work"/*.err "$BENCH_KEEP/" 2>/dev/null || true; }
	fi
	# only jobs of this shell still running: pids wrap fast (pid_max may be 32768), and a pid
	# reaped long ago may be someone else's now
	live=" $(jobs -p | tr '\n' ' ') "
	for p in "${PIDS[@]}" "${SW_PIDS[@]}"; do
		[[ $live == *" $p "* ]] && { kill -9 "$p" 2>/dev/null || true; }
	done
	wait 2>/dev/null || true
	if [ -n "${bpf_stats_was:-}" ]; then
		sysctl -q -w kernel.bpf_stats_enabled="$bpf_stats_was" || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# record PART BENCH MODE REP KEY VALUE: one measurement, for tests/bench/report.py
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$results"; }
meta() { printf '%s\t%s\n' "$1" "$2" >>"$work/meta.tsv"; }

# ---- setup ----

install_tools() {
	local p missing=()
	for p in wrk bpftrace curl prometheus golang-go clang bpftool python3; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build_go() {
	local name=$1
	(cd "$root/tests/bench/go/$name" &&
		GOCACHE=$bin/.cache/go-build GOPATH=$bin/.cache/gopath GOFLAGS='' GOPROXY=off \
			GOTOOLCHAIN=local go build -o "$bin/$name" .) || die "failed to build '$name'"
}

build_floor() {
	local libs
	libs=$(pkg-config --libs libbpf libelf libdw zlib libmicrohttpd json-c ncursesw capstone)
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -I"$root/vmlinux/x86" \
		-I"$root/include" -c "$root/tests/bench/floor.bpf.c" -o "$bin/floor.bpf.o"
	bpftool gen object "$bin/floor.linked.o" "$bin/floor.bpf.o"
	bpftool gen skeleton "$bin/floor.linked.o" name floor >"$bin/floor.skel.h"
	# shellcheck disable=SC2086 # pkg-config output is a word list
	gcc -g -O2 -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE -I"$root/include" -I"$root/user" \
		-I"$root/build" -I"$bin" "$root/tests/bench/floor.c" "$root/build/libblockwatch.a" \
		$libs -lm -o "$bin/floor"
}

build_all() {
	mkdir -p "$bin"
	log "building the benchmark programs into $bin"
	build_go gobench
	build_go httpserver
	gcc -O2 -g -fno-omit-frame-pointer -Wall -Wextra -Werror -std=gnu11 -pthread \
		"$root/tests/bench/pthread_bench.c" -o "$bin/pthread_bench"
	gcc -g -O1 -fno-omit-frame-pointer -pthread "$root/tests/targets/blocker.c" \
		-o "$bin/blocker"
	build_floor || die "failed to build the floor tool"
	# shellcheck disable=SC2086 # a word list
	"$root/scripts/build-go-targets.sh" "$root/build/go-targets" many_blocked ticker \
		$SW_GO_TARGETS >/dev/null || die "failed to build the Go targets"
}

machine_info() {
	meta model "$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
	meta cpus "$(nproc)"
	meta kernel "$(uname -r)"
	meta memory_mb "$(awk '/MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)"
	# shellcheck disable=SC1091 # a system file
	meta os "$(. /etc/os-release && echo "$PRETTY_NAME")"
	meta go "$(go version | awk '{print $3}')"
	meta bpftrace "$(bpftrace --version 2>/dev/null | awk '{print $2}')"
	meta wrk "$(wrk -v 2>&1 | head -1 | awk '{print $2}')"
	meta blockwatch "$("$BW" --version) ($(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'))"
	meta reps "$REPS"
	meta secs "$SECS"
	meta http_secs "$HTTP_SECS"
	meta scale_reps "$SCALE_REPS"
	meta goroutines "$NGOROUTINES"
	meta threads "$NTHREADS"
	meta sw_go "$SW_GO"
	meta sw_other "$SW_OTHER"
	meta sw_targets "$SW_GO_TARGETS"
}

# ---- processes ----

# try_wait_for FILE REGEX [SECONDS]: until FILE has a line matching REGEX; 1 on timeout
try_wait_for() {
	local file=$1 re=$2 limit=$((${3:-20} * 100)) i
	for ((i = 0; i < limit; i++)); do
		grep -qE "$re" "$file" 2>/dev/null && return 0
		sleep 0.01
	done
	return 1
}

wait_for() { try_wait_for "$@" || die "timed out waiting for /$2/ in $1"; }

# wait_exists FILE [SECONDS]
wait_exists() {
	local limit=$((${2:-20} * 200)) i
	for ((i = 0; i < limit; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.005
	done
	die "timed out waiting for $1"
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# CPU time (utime + stime) of a process, in ms
cpu_ms() {
	local f
	f=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
	f=${f##*) }
	awk -v hz="$(getconf CLK_TCK)" '{print int(($12 + $13) * 1000 / hz)}' <<<"$f"
}

# voluntary context switches of every thread of a process: the sleeps sched_switch sees
thread_sleeps() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt/ {s += $2} END {print s + 0}'; }

status_kb() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# start_target NAME CMD...: a target reading commands from a FIFO; sets TPID and TFD
start_target() {
	local name=$1
	shift
	mkfifo "$work/$name.in"
	"$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
	TPID=$!
	PIDS+=("$TPID")
	exec {TFD}>"$work/$name.in"
	wait_for "$work/$name.out" '^ready' 60
}

stop_target() {
	{ echo quit >&"$TFD"; } 2>/dev/null || true
	exec {TFD}>&-
	kill "$TPID" 2>/dev/null || true
	wait "$TPID" 2>/dev/null || true
}

# target_cmd NAME CMD: send a command, print the answer ("result ...")
target_cmd() {
	local name=$1 cmd=$2 n i
	n=$(grep -c '^result\|^error' "$work/$name.out" || true)
	echo "$cmd" >&"$TFD"
	for ((i = 0; i < 60000; i++)); do
		if [ "$(grep -c '^result\|^error' "$work/$name.out" || true)" -gt "$n" ]; then
			grep '^result\|^error' "$work/$name.out" | tail -1
			return 0
		fi
		sleep 0.01
	done
	die "no answer from $name to '$cmd'"
}

# ---- tools ----

# reports: how many reports blockwatch wrote to $work/bw.json so far
reports() { grep -c '"type":"interval"' "$work/bw.json" 2>/dev/null || true; }

wait_reports() { # wait_reports N: until blockwatch has written N reports (2 minutes at most)
	local i
	for ((i = 0; i < 2400; i++)); do
		[ "$(reports)" -ge "$1" ] && return 0
		kill -0 "$TOOL" 2>/dev/null || die "blockwatch exited early: $(tail -3 "$work/bw.err")"
		sleep 0.05
	done
	die "timed out waiting for report $1 of blockwatch"
}

bw_start() { # bw_start PID|all ARGS...: blockwatch with JSON to $work/bw.json; sets TOOL
	local sel=(-p "$1")
	[ "$1" = all ] && sel=()
	shift
	rm -f "$work/bw.json"
	"$BW" "${sel[@]}" -i 1 --json -o "$work/bw.json" "$@" 2>>"$work/bw.err" &
	TOOL=$!
	PIDS+=("$TOOL")
	# the report file is opened once every probe is attached
	wait_exists "$work/bw.json" 120
}

# bt_start PID SCRIPT: bpftrace needs tracefs for tracepoints (and to detach uprobes cleanly);
# unless the machine has it mounted already, it is mounted in a mount namespace of bpftrace's
# own: the machine's mounts stay as they are
bt_start() {
	local try i
	for try in 1 2; do
		rm -f "$work/bt.out"
		# shellcheck disable=SC2016 # expanded by the inner shell
		BT_SCRIPT="$2 BEGIN { printf(\"ready\\n\"); }" unshare -m --propagation private sh -c \
			'{ mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing; } &&
			exec bpftrace -B line -p "$0" -e "$BT_SCRIPT"' \
			"$1" >"$work/bt.out" 2>>"$work/bt.err" &
		TOOL=$!
		PIDS+=("$TOOL")
		for ((i = 0; i < 3000; i++)); do
			grep -q '^ready' "$work/bt.out" 2>/dev/null && return 0
			kill -0 "$TOOL" 2>/dev/null || break
			sleep 0.01
		done
		log "bpftrace not ready (try $try): $(ps -o stat=,wchan= -p "$TOOL" | xargs) $(tail -2 "$work/bt.err" | tr '\n' ' ')"
		kill -9 "$TOOL" 2>/dev/null || true
		wait "$TOOL" 2>/dev/null || true
	done
	die "bpftrace did not start"
}

floor_start() { # floor_start go|sched PID
	rm -f "$work/floor.out"
	"$bin/floor" "$1" "$2" >"$work/floor.out" 2>>"$work/floor.err" &
	TOOL=$!
	PIDS+=("$TOOL")
	wait_for "$work/floor.out" '^attached'
}

pprof_start() { # pprof_start ADDR: pull a goroutine profile every second
	(while :; do
		curl -s --max-time 5 -o /dev/null "http://$1/debug/pprof/goroutine"
		sleep 1
	done) &
	TOOL=$!
	TOOL_SIG=TERM # a script's background job ignores SIGINT
	PIDS+=("$TOOL")
}

tool_stop() {
	[ -n "${TOOL:-}" ] || return 0
	kill -"${TOOL_SIG:-INT}" "$TOOL" 2>/dev/null || true
	TOOL_SIG=
	wait "$TOOL" 2>/dev/null || true
	TOOL=
}

go_bt_script() { # the bpftrace peer: count what detail mode's probes see, by symbol
	echo "uprobe:$1:runtime.gopark { @parks = count(); } uprobe:$1:runtime.ready { @readies = count(); }"
}

# start_go_tool MODE PID BINARY PPROF_ADDR
# blockwatch is measured in its steady state, from its first report on: its start-up work
# (reading the target's symbols, the first snapshot) is part 5's and part 4's figure
bw_steady() { # bw_steady PID ARGS...: sets ATTACHED (ms) when every probe is attached
	bw_start "$@"
	ATTACHED=$(now_ms)
	wait_for "$work/bw.json" '"type":"interval"' 60
}

start_go_tool() { # sets TOOL and ATTACHED (ms)
	TOOL= ATTACHED=
	case $1 in
	bare | trace) ;;
	blockwatch) bw_steady "$2" ;;
	detail) bw_steady "$2" -D ;;
	floor) floor_start go "$2" ;;
	bpftrace) bt_start "$2" "$(go_bt_script "$3")" ;;
	pprof) pprof_start "$4" ;;
	esac
	ATTACHED=${ATTACHED:-$(now_ms)}
}

# ---- part 1: Go targets ----

GO_MODES="bare blockwatch detail floor bpftrace trace pprof"

go_micro() {
	local b=$1 rep mode line addr c0 t0 v0
	start_target "gobench-$b" "$bin/gobench" -bench "$b"
	addr=$(awk '/^pprof/ {print $2}' "$work/gobench-$b.out")
	target_cmd "gobench-$b" "run 0.3" >/dev/null # warm-up
	for ((rep = 1; rep <= REPS; rep++)); do
		for mode in $GO_MODES; do
			t0=$(now_ms)
			start_go_tool "$mode" "$TPID" "$bin/gobench" "$addr"
			record 1 "$b" "$mode" "$rep" attach_ms $((ATTACHED - t0))
			c0=$([ -n "$TOOL" ] && cpu_ms "$TOOL" || echo 0)
			v0=$(thread_sleeps "$TPID")
			if [ "$mode" = trace ]; then
				line=$(target_cmd "gobench-$b" "trace $SECS $work/trace.out")
			else
				line=$(target_cmd "gobench-$b" "run $SECS")
			fi
			record 1 "$b" "$mode" "$rep" thread_sleeps $(($(thread_sleeps "$TPID") - v0))
			[ -n "$TOOL" ] && [ "$mode" != pprof ] &&
				record 1 "$b" "$mode" "$rep" tool_cpu_ms $(($(cpu_ms "$TOOL") - c0))
			tool_stop
			read -r _ _ ns ops <<<"$line"
			[ -n "${ops:-}" ] || die "gobench $b ($mode): $line"
			record 1 "$b" "$mode" "$rep" ns_per_op "$ns"
			record 1 "$b" "$mode" "$rep" ops "$ops"
			if [ "$mode" = bpftrace ]; then
				record 1 "$b" "$mode" "$rep" parks "$(awk '/@parks/ {print $2}' "$work/bt.out")"
				record 1 "$b" "$mode" "$rep" readies "$(awk '/@readies/ {print $2}' "$work/bt.out")"
			fi
		done
	done
	stop_target
}

wrk_run() { # wrk_run URL SECS -> "REQ_PER_S P50_MS P99_MS"
	wrk -t1 -c32 -d"$2"s --latency "$1" >"$work/wrk.out" 2>&1 || true
	awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^Requests\/sec:/ { rps = $2 }
		$1 == "50%" { p50 = ms($2) }
		$1 == "99%" { p99 = ms($2) }
		END { printf "%s %s %s\n", rps, p50, p99 }' "$work/wrk.out"
}

go_http() {
	local rep mode app pp url t0 c0 rps p50 p99 tc v0
	start_target httpserver "$bin/httpserver"
	read -r _ app pp <"$work/httpserver.out"
	url="http://$app/item?id=7"
	wrk_run "$url" 1 >/dev/null # warm-up
	for ((rep = 1; rep <= REPS; rep++)); do
		for mode in $GO_MODES; do
			t0=$(now_ms)
			start_go_tool "$mode" "$TPID" "$bin/httpserver" "$pp"
			record 1 http "$mode" "$rep" attach_ms $((ATTACHED - t0))
			c0=$([ -n "$TOOL" ] && cpu_ms "$TOOL" || echo 0)
			tc=
			if [ "$mode" = trace ]; then
				curl -s -o "$work/trace.out" \
					"http://$pp/debug/pprof/trace?seconds=$((HTTP_SECS + 1))" &
				tc=$!
				PIDS+=("$tc")
				sleep 0.2
			fi
			v0=$(thread_sleeps "$TPID")
			read -r rps p50 p99 <<<"$(wrk_run "$url" "$HTTP_SECS")"
			record 1 http "$mode" "$rep" thread_sleeps $(($(thread_sleeps "$TPID") - v0))
			[ -n "$tc" ] && wait "$tc"
			[ -n "$TOOL" ] && [ "$mode" != pprof ] &&
				record 1 http "$mode" "$rep" tool_cpu_ms $(($(cpu_ms "$TOOL") - c0))
			tool_stop
			[ -n "$rps" ] || die "wrk ($mode): $(cat "$work/wrk.out")"
			record 1 http "$mode" "$rep" req_per_s "$rps"
			record 1 http "$mode" "$rep" secs "$HTTP_SECS"
			record 1 http "$mode" "$rep" p50_ms "$p50"
			record 1 http "$mode" "$rep" p99_ms "$p99"
			if [ "$mode" = bpftrace ]; then
				record 1 http "$mode" "$rep" parks "$(awk '/@parks/ {print $2}' "$work/bt.out")"
				record 1 http "$mode" "$rep" readies "$(awk '/@readies/ {print $2}' "$work/bt.out")"
			fi
		done
	done
	stop_target
}

part1() {
	local b
	for b in chan mutex select wg spawn; do
		log "part 1: Go microbenchmark '$b' ($REPS x ${SECS}s per mode)"
		go_micro "$b"
	done
	log "part 1: net/http server under wrk ($REPS x ${HTTP_SECS}s per mode)"
	go_http
}

# ---- part 2: C/pthread targets ----

C_MODES="bare blockwatch floor bpftrace"

part2() {
	local b name arg rep mode line t0 c0
	for b in "mutex 4" "cond 1"; do
		name=${b% *}
		arg=${b#* }
		log "part 2: pthread benchmark '$name' ($REPS x ${SECS}s per mode)"
		start_target "pthread-$name" "$bin/pthread_bench" "$name" "$arg"
		target_cmd "pthread-$name" "run 0.3" >/dev/null
		for ((rep = 1; rep <= REPS; rep++)); do
			for mode in $C_MODES; do
				t0=$(now_ms)
				TOOL= ATTACHED=
				case $mode in
				blockwatch) bw_steady "$TPID" ;;
				floor) floor_start sched "$TPID" ;;
				bpftrace) bt_start "$TPID" \
					"tracepoint:sched:sched_switch /pid == $TPID/ { @switches = count(); }" ;;
				esac
				ATTACHED=${ATTACHED:-$(now_ms)}
				record 2 "$name" "$mode" "$rep" attach_ms $((ATTACHED - t0))
				c0=$([ -n "$TOOL" ] && cpu_ms "$TOOL" || echo 0)
				line=$(target_cmd "pthread-$name" "run $SECS")
				[ -n "$TOOL" ] &&
					record 2 "$name" "$mode" "$rep" tool_cpu_ms $(($(cpu_ms "$TOOL") - c0))
				tool_stop
				read -r _ _ ns ops sleeps <<<"$line"
				[ -n "${sleeps:-}" ] || die "pthread_bench $name ($mode): $line"
				record 2 "$name" "$mode" "$rep" ns_per_op "$ns"
				record 2 "$name" "$mode" "$rep" ops "$ops"
				record 2 "$name" "$mode" "$rep" sleeps "$sleeps"
			done
		done
		stop_target
	done
}

# ---- part 3: pipeline capacity ----

# Waits blockwatch counted (all sites, all reports) and its drops, from its JSON.
bw_counts() { # bw_counts KIND_REGEX -> "WAITS DROPS_TOTAL DROP_DETAIL SITES"
	python3 "$root/tests/bench/bwcount.py" "$work/bw.json" "$1"
}

# pipeline_level NAME TARGET_CMD LABEL KIND [BW_ARGS...]: blockwatch attached over one run of
# the target; what the target did (its own count) against what blockwatch counted, drops, the
# CPU of blockwatch's process, and its BPF programs' run time (bpf_stats) per program
pipeline_level() {
	local name=$1 cmd=$2 label=$3 kind=$4 line t0 c0 el waits drops detail sites n
	shift 4
	bw_start "$TPID" "$@"
	# steady state: the first report (symbols, unwinding tables) is part 4's and 5's subject
	wait_for "$work/bw.json" '"type":"interval"'
	python3 "$root/tests/bench/bpfinfo.py" "$TOOL" progs | sort >"$work/progs.0"
	c0=$(cpu_ms "$TOOL")
	t0=$(now_ms)
	line=$(target_cmd "$name" "$cmd")
	el=$(($(now_ms) - t0))
	python3 "$root/tests/bench/bpfinfo.py" "$TOOL" progs | sort >"$work/progs.1"
	record 3 "$label" bw 1 tool_cpu_ms $(($(cpu_ms "$TOOL") - c0))
	record 3 "$label" bw 1 wall_ms "$el"
	# every wait of the run in a regular report: two more after the run, as the first may have
	# begun collecting before the run ended (bwcount.py skips the final report, which may repeat
	# the last one)
	wait_reports $(($(reports) + 2))
	join "$work/progs.0" "$work/progs.1" 2>/dev/null | while read -r prog ns0 n0 ns1 n1; do
		[ $((n1 - n0)) -gt 0 ] || continue
		record 3 "$label" bw 1 "bpf_ns:$prog" $((ns1 - ns0))
		record 3 "$label" bw 1 "bpf_runs:$prog" $((n1 - n0))
	done
	tool_stop
	read -r _ _ ns ops sleeps <<<"$line"
	record 3 "$label" bw 1 ops "$ops"
	# Go: the chan ping-pong parks twice per round trip (part 1's bpftrace counts)
	record 3 "$label" bw 1 truth "${sleeps:-$((2 * ops))}"
	read -r waits drops detail sites <<<"$(bw_counts "$kind")"
	record 3 "$label" bw 1 counted "$waits"
	record 3 "$label" bw 1 drops "$drops"
	record 3 "$label" bw 1 drop_detail "$detail"
	record 3 "$label" bw 1 sites "$sites"
}

part3() {
	local rate n secs=4
	bpf_stats_was=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
	log "part 3: thread events at increasing rates (cond ping-pong, 2 pairs)"
	start_target pipe-cond "$bin/pthread_bench" cond 2
	target_cmd pipe-cond "run 0.3" >/dev/null
	for rate in 5000 25000 100000 max; do
		if [ "$rate" = max ]; then
			pipeline_level pipe-cond "run $secs" "rate-max" thread
		else
			pipeline_level pipe-cond "pace $secs $rate" "rate-$rate" thread
		fi
	done
	stop_target
	log "part 3: distinct blocking sites (maps fill up)"
	for n in 1000 8000 16000 32000; do
		start_target "pipe-sites-$n" "$bin/pthread_bench" sites "$n"
		pipeline_level "pipe-sites-$n" "run $secs" "sites-$n" thread
		stop_target
	done
	log "part 3: goroutine parks, detail mode (chan ping-pong)"
	start_target pipe-go "$bin/gobench" -bench chan
	pipeline_level pipe-go "run $secs" "go-detail" goroutine -D
	stop_target
	sysctl -q -w kernel.bpf_stats_enabled="$bpf_stats_was"
	bpf_stats_was=
}

# ---- part 4: scale ----

bpf_memlock() { python3 "$root/tests/bench/bpfinfo.py" "$1" memlock; } # bytes

# scale_measure PART LABEL MODE PID|all REPORTS REP ARGS...: attach, first report, memory, CPU
# per report; blockwatch keeps running (TOOL)
scale_measure() {
	local part=$1 label=$2 mode=$3 pid=$4 nrep=$5 rep=$6 t0 ta tf c1 c2
	shift 6
	t0=$(now_ms)
	bw_start "$pid" "$@"
	ta=$(now_ms)
	wait_for "$work/bw.json" '"type":"interval"' 120
	tf=$(now_ms)
	c1=$(cpu_ms "$TOOL")
	wait_reports $(($(reports) + nrep))
	c2=$(cpu_ms "$TOOL")
	record "$part" "$label" "$mode" "$rep" attach_ms $((ta - t0))
	record "$part" "$label" "$mode" "$rep" first_report_ms $((tf - t0))
	record "$part" "$label" "$mode" "$rep" first_report_cpu_ms "$c1"
	record "$part" "$label" "$mode" "$rep" cpu_per_report_ms $(((c2 - c1) / nrep))
	record "$part" "$label" "$mode" "$rep" rss_kb "$(status_kb "$TOOL" VmRSS)"
	record "$part" "$label" "$mode" "$rep" hwm_kb "$(status_kb "$TOOL" VmHWM)"
	record "$part" "$label" "$mode" "$rep" bpf_memlock "$(bpf_memlock "$TOOL")"
}

# scale_run PART LABEL MODE PID REPORTS REP ARGS...: scale_measure, then blockwatch stopped
scale_run() {
	scale_measure "$@"
	tool_stop
	record "$1" "$2" "$3" "$6" blocked \
		"$(python3 "$root/tests/bench/bwcount.py" "$work/bw.json" blocked)"
}

part4() {
	local rep t0
	log "part 4: $NGOROUTINES blocked goroutines"
	t0=$(now_ms)
	start_target scale-go "$root/build/go-targets/many_blocked" -n "$NGOROUTINES"
	record 4 goroutines setup 1 target_ready_ms $(($(now_ms) - t0))
	record 4 goroutines setup 1 target_rss_kb "$(status_kb "$TPID" VmRSS)"
	for ((rep = 1; rep <= SCALE_REPS; rep++)); do
		scale_run 4 goroutines default "$TPID" 3 "$rep"
		scale_run 4 goroutines detail "$TPID" 3 "$rep" -D
	done
	stop_target
	log "part 4: $NTHREADS blocked threads"
	t0=$(now_ms)
	start_target scale-threads "$bin/blocker" mutex "$NTHREADS"
	record 4 threads setup 1 target_ready_ms $(($(now_ms) - t0))
	for ((rep = 1; rep <= SCALE_REPS; rep++)); do
		scale_run 4 threads default "$TPID" 3 "$rep"
	done
	stop_target
}

# ---- part 5: start-up on a large Go binary ----

part5() {
	local port rep mode
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	mkdir -p "$work/prom"
	cat >"$work/prom/prometheus.yml" <<-EOF
		global: { scrape_interval: 2s }
		scrape_configs:
		  - job_name: self
		    static_configs: [{ targets: ['127.0.0.1:$port'] }]
	EOF
	log "part 5: start-up on /usr/bin/prometheus ($(($(stat -c %s /usr/bin/prometheus) / 1048576)) MB)"
	meta prometheus_mb "$(($(stat -c %s /usr/bin/prometheus) / 1048576))"
	meta prometheus_version "$(/usr/bin/prometheus --version 2>&1 | head -1)"
	/usr/bin/prometheus --config.file="$work/prom/prometheus.yml" \
		--storage.tsdb.path="$work/prom/data" --web.listen-address="127.0.0.1:$port" \
		--log.level=warn >"$work/prometheus.out" 2>&1 &
	TPID=$!
	PIDS+=("$TPID")
	for ((rep = 1; rep <= 300; rep++)); do
		curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null ||
		die "prometheus did not start: $(tail -3 "$work/prometheus.out")"
	for ((rep = 1; rep <= REPS; rep++)); do
		for mode in default detail; do
			if [ $mode = detail ]; then
				scale_run 5 prometheus "$mode" "$TPID" 1 "$rep" -D
			else
				scale_run 5 prometheus "$mode" "$TPID" 1 "$rep"
			fi
		done
	done
	kill "$TPID"
	wait "$TPID" 2>/dev/null || true
}

# ---- part 6: system-wide among many processes ----

# Go leak targets that leak 20 goroutines in 4 s, then idle for as long as they run: the
# population runs each binary several times, as a machine runs several copies of a service
SW_GO_TARGETS="no_sender no_receiver nil_chan wg_miscount forgotten_unlock"

sw_spawn() { # sw_spawn OUT PIDFILE CMD...: one process of the population
	local out=$1 pidfile=$2
	shift 2
	"$@" >"$out" 2>&1 &
	SW_PIDS+=("$!")
	echo "$!" >>"$pidfile"
}

# SW_GO Go processes (the leak targets in turn) and SW_OTHER C processes with blocked threads
sw_population() {
	local i names f
	read -r -a names <<<"$SW_GO_TARGETS"
	for ((i = 0; i < SW_GO; i++)); do
		sw_spawn "$work/sw/go$i.out" "$work/sw/go.pids" \
			"$root/build/go-targets/${names[i % ${#names[@]}]}" -rate 5 -max 20
	done
	for ((i = 0; i < SW_OTHER; i++)); do
		if ((i % 2)); then
			sw_spawn "$work/sw/c$i.out" "$work/sw/c.pids" "$bin/blocker" cond
		else
			sw_spawn "$work/sw/c$i.out" "$work/sw/c.pids" "$bin/blocker" mutex 2
		fi
	done
	for f in "$work"/sw/*.out; do
		wait_for "$f" '^ready' 60
	done
}

sw_stop_population() {
	local p
	for p in "${SW_PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	for p in "${SW_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	SW_PIDS=()
}

# probed PID: uprobes that fire in PID, whoever placed them
probed() { python3 "$root/tests/bench/systemwide.py" probed "$1"; }

# sw_bench MODE REP: one run of the Go chan ping-pong and of the C mutex benchmark. Without
# -D, a Go run is marked when uprobes fired in gobench before or after it: another program
# probed it (this machine is shared; another system-wide blockwatch -D does)
sw_bench() {
	local mode=$1 rep=$2 line ns ops sleeps p0=0
	TFD=$SW_CHAN_FD
	[ "$mode" = detail ] || p0=$(probed "$SW_CHAN_PID")
	line=$(target_cmd sw-chan "run $SECS")
	read -r _ _ ns ops <<<"$line"
	[ -n "${ops:-}" ] || die "gobench chan ($mode): $line"
	record 6 chan "$mode" "$rep" ns_per_op "$ns"
	[ "$mode" = detail ] ||
		record 6 chan "$mode" "$rep" foreign_uprobes $(($(probed "$SW_CHAN_PID") + p0))
	TFD=$SW_MUTEX_FD
	line=$(target_cmd sw-mutex "run $SECS")
	read -r _ _ ns ops sleeps <<<"$line"
	[ -n "${sleeps:-}" ] || die "pthread_bench mutex ($mode): $line"
	record 6 mutex "$mode" "$rep" ns_per_op "$ns"
}

# sw_attach MODE REP DETAIL: SW_NEW new Go processes, one at a time, alternately of a binary no
# other process runs (ticker) and of one that 1/5 of the population runs (no_sender)
sw_attach() {
	local mode=$1 rep=$2 detail=$3 k kind cmd out pid rms pms before wms
	for ((k = 0; k < SW_NEW; k++)); do
		if ((k % 2)); then
			kind=shared
			cmd=("$root/build/go-targets/no_sender" -rate 5 -max 20)
		else
			kind=new
			cmd=("$root/build/go-targets/ticker")
		fi
		out=$(python3 "$root/tests/bench/systemwide.py" attach "$TOOL" "$work/bw.json" \
			"$detail" 15 "${cmd[@]}") || die "failed to time the attach to a new process"
		read -r pid rms pms before wms <<<"$out"
		record 6 "attach-$kind" "$mode" "$rep.$k" started 1
		record 6 "attach-$kind" "$mode" "$rep.$k" report_ms "$rms"
		record 6 "attach-$kind" "$mode" "$rep.$k" waits_ms "$wms"
		if [ "$detail" = 1 ]; then
			record 6 "attach-$kind" "$mode" "$rep.$k" probe_ms "$pms"
			record 6 "attach-$kind" "$mode" "$rep.$k" probes_before "$before"
		fi
	done
}

# sw_observe LABEL MODE REP ARGS...: blockwatch over the whole machine: start-up, memory, CPU,
# what it holds and what its last report shows; it keeps running (TOOL)
sw_observe() {
	local label=$1 mode=$2 rep=$3 progs maps links uprobes n ngo nbin ours_go ours_c gor
	shift 3
	scale_measure 6 "$label" "$mode" all 3 "$rep" "$@"
	read -r progs maps links uprobes <<<"$(python3 "$root/tests/bench/bpfinfo.py" "$TOOL" objects)"
	record 6 "$label" "$mode" "$rep" bpf_progs "$progs"
	record 6 "$label" "$mode" "$rep" bpf_maps "$maps"
	record 6 "$label" "$mode" "$rep" bpf_links "$links"
	record 6 "$label" "$mode" "$rep" uprobes "$uprobes"
	read -r n ngo nbin ours_go ours_c gor <<<"$(python3 "$root/tests/bench/systemwide.py" procs \
		"$work/bw.json" "$work/sw/go.pids" "$work/sw/c.pids")"
	record 6 "$label" "$mode" "$rep" processes "$n"
	record 6 "$label" "$mode" "$rep" go_processes "$ngo"
	record 6 "$label" "$mode" "$rep" go_binaries "$nbin"
	record 6 "$label" "$mode" "$rep" ours_go "$ours_go"
	record 6 "$label" "$mode" "$rep" ours_other "$ours_c"
	record 6 "$label" "$mode" "$rep" goroutines "$gor"
}

# sw_run MODE REP ARGS...: sw_observe among the population, then the benchmarks' cost and new
# processes while blockwatch runs
sw_run() {
	local mode=$1 rep=$2
	shift 2
	sw_observe population "$mode" "$rep" "$@"
	sw_bench "$mode" "$rep"
	sw_attach "$mode" "$rep" "$([ "$mode" = detail ] && echo 1 || echo 0)"
	tool_stop
}

part6() {
	local rep t0 procs
	log "part 6: system-wide among $SW_GO Go and $SW_OTHER other processes ($SCALE_REPS runs per mode)"
	mkdir -p "$work/sw"
	: >"$work/sw/go.pids"
	: >"$work/sw/c.pids"
	# the machine alone first: what the population adds
	sw_observe alone default 1
	tool_stop
	t0=$(now_ms)
	sw_population
	record 6 population setup 1 start_ms $(($(now_ms) - t0))
	procs=(/proc/[0-9]*)
	record 6 population setup 1 machine_processes "${#procs[@]}"
	start_target sw-chan "$bin/gobench" -bench chan
	SW_CHAN_PID=$TPID SW_CHAN_FD=$TFD
	target_cmd sw-chan "run 0.3" >/dev/null
	start_target sw-mutex "$bin/pthread_bench" mutex 4
	SW_MUTEX_PID=$TPID SW_MUTEX_FD=$TFD
	target_cmd sw-mutex "run 0.3" >/dev/null
	for ((rep = 1; rep <= SCALE_REPS; rep++)); do
		sw_bench bare "$rep"
		sw_run default "$rep"
		sw_run detail "$rep" -D
	done
	TPID=$SW_MUTEX_PID TFD=$SW_MUTEX_FD
	stop_target
	TPID=$SW_CHAN_PID TFD=$SW_CHAN_FD
	stop_target
	sw_stop_population
}

# ---- main ----

[ "$(id -u)" -eq 0 ] || die "needs root (BPF and reading other processes): sudo make bench"
[ -x "$BW" ] || die "build blockwatch first: make"
install_tools
build_all
machine_info
meta load_start "$(cut -d' ' -f1-3 /proc/loadavg)"
meta started "$(date -u '+%Y-%m-%d %H:%M UTC')"
start_s=$(date +%s)
for p in $PARTS; do
	"part$p"
done
meta load_end "$(cut -d' ' -f1-3 /proc/loadavg)"
meta duration_s $(($(date +%s) - start_s))
# the raw measurements stay, to render the report again without measuring:
#   python3 tests/bench/report.py build/bench/meta.tsv build/bench/results.tsv
cp "$work/meta.tsv" "$results" "$root/build/bench/"
python3 "$root/tests/bench/report.py" "$work/meta.tsv" "$results" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
log "wrote $OUT in $(($(date +%s) - start_s)) s"
