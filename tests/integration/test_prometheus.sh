#!/usr/bin/env bash
# A real Prometheus scrapes blockwatch (--prom) attached to a leaking Go target (timeout_send):
# its HTTP API must return the leak's series with the right labels (function main.handle.func1
# at its LEAK-SITE line, "chan send", the target's pid and comm) and a leak verdict. Then the
# endpoint is attacked (garbage, a 1 MB header, a 100 MB body, 300 idle half-requests) and must
# still serve /metrics, and Prometheus must still scrape it. The textfile written alongside must
# pass promtool, and the real node_exporter must export its series.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
. "$(dirname "$0")/promlib.sh"
go_prereqs
command -v prometheus >/dev/null || skip "needs Prometheus (Debian package prometheus)"
command -v curl >/dev/null || skip "needs curl"
command -v prometheus-node-exporter >/dev/null ||
	skip "needs node_exporter (Debian package prometheus-node-exporter)"
go_build_targets timeout_send
line=$(leak_site_line timeout_send main.handle.func1)

BW_PORT=$(free_port)
PROM_PORT=$(free_port)
NODE_PORT=$(free_port)
[ "$(printf '%s\n' "$BW_PORT" "$PROM_PORT" "$NODE_PORT" | sort -u | wc -l)" = 3 ] ||
	fail "free_port gave the same port twice: $BW_PORT $PROM_PORT $NODE_PORT"
mkdir "$BW_TMP/textfile"

start_go_target timeout_send plain -rate 5
# --runtime-threads: the runtime's own threads complete timed waits, which fill the histograms
spawn timeout --kill-after=5 300 "$BLOCKWATCH" -p "$GT_PID" -i 1 --no-tui --runtime-threads \
	--prom "127.0.0.1:$BW_PORT" --textfile "$BW_TMP/textfile/blockwatch.prom" >"$BW_TMP/bw.out" 2>"$BW_TMP/bw.err"
BW_PID=$!

# the metrics endpoint is up, and only on the loopback address
for ((i = 0; i < 100; i++)); do
	curl -sf "http://127.0.0.1:$BW_PORT/metrics" >/dev/null && break
	kill -0 "$BW_PID" 2>/dev/null || fail "blockwatch exited: $(tail -5 "$BW_TMP/bw.err")"
	sleep 0.1
done
curl -sf "http://127.0.0.1:$BW_PORT/metrics" >/dev/null || fail "no /metrics on port $BW_PORT"
listeners=$(ss -Hltn "sport = :$BW_PORT" | awk '{print $4}')
[ "$listeners" = "127.0.0.1:$BW_PORT" ] || fail "blockwatch listens on '$listeners', expected 127.0.0.1:$BW_PORT"

start_prometheus "$PROM_PORT" "$BW_PORT"

# query PROMQL: the JSON answer of Prometheus' HTTP API
query() {
	curl -sf -G "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1"
}

# check_series JSON: one series, labelled as the leak site must be; prints its value
check_series() {
	python3 - "$1" "$GT_PID" "$line" <<'EOF'
import json, sys
answer, pid, line = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3]
res = answer["data"]["result"]
if len(res) != 1:
    sys.exit("expected one series, got %d: %s" % (len(res), res))
m = res[0]["metric"]
want = {"job": "blockwatch", "pid": pid, "comm": "timeout_send", "kind": "goroutine",
        "reason": "chan send", "function": "main.handle.func1", "line": line}
bad = {k: (m.get(k), v) for k, v in want.items() if m.get(k) != v}
if bad or not m.get("file", "").endswith("/timeout_send/main.go") or len(m.get("site", "")) != 16:
    sys.exit("wrong labels %s (got, want): %s" % (m, bad))
print(res[0]["value"][1])
EOF
}

# wait_query PROMQL SECONDS: until the query returns a series
wait_query() {
	local i
	for ((i = 0; i < $2; i++)); do
		[ "$(query "$1" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))')" -gt 0 ] && return 0
		kill -0 "$BW_PID" 2>/dev/null || fail "blockwatch exited: $(tail -5 "$BW_TMP/bw.err")"
		sleep 1
	done
	fail "Prometheus never had a result for '$1'"
}

wait_query 'blockwatch_blocked{function="main.handle.func1"} > 5' 60
blocked=$(check_series "$(query 'blockwatch_blocked{function="main.handle.func1"}')") ||
	fail "the leak's series: $blocked"
truth=$(truth_field "$(truth_last "$GT_OUT")" leaked)
echo "Prometheus: blockwatch_blocked{function=\"main.handle.func1\"} = $blocked (target: $truth leaked)"
# a steady leak of 5 a second is judged one within a minute
wait_query 'blockwatch_leak{function="main.handle.func1"} == 1' 60
check_series "$(query 'blockwatch_leak{function="main.handle.func1"}')" >/dev/null ||
	fail "the leak verdict's series"
growth=$(check_series "$(query 'blockwatch_growth_per_minute{function="main.handle.func1"}')")
echo "Prometheus: leak verdict, growth $growth per minute (target: 300)"
python3 -c "import sys; g = float('$growth'); sys.exit(0 if 200 <= g <= 400 else 1)" ||
	fail "growth_per_minute $growth, expected about 300"
n=$(query 'count(blockwatch_leak == 1)' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
[ "$n" = 1 ] || fail "$n sites judged leaks, expected only main.handle.func1's"
wait_query "blockwatch_goroutines{state=\"waiting\",pid=\"$GT_PID\"} > 5" 5
wait_query 'blockwatch_build_info{version!=""}' 5
wait_query 'blockwatch_dropped_events_total{kind="ringbuf"}' 5
# the wait-time histograms of the threads' sites, usable as histograms
wait_query 'blockwatch_wait_seconds_bucket{le="+Inf",kind=~"futex|offcpu"} > 0' 5
wait_query 'histogram_quantile(0.9, blockwatch_wait_seconds_bucket) >= 0' 5
n=$(query 'count(blockwatch_wait_seconds_bucket{le="+Inf"} != on(site) blockwatch_wait_seconds_count)' |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))')
[ "$n" = 0 ] || fail "a histogram's +Inf bucket differs from its _count"

# the textfile holds the same exposition, in the text format node_exporter and promtool read
textfile=$BW_TMP/textfile/blockwatch.prom
[ -s "$textfile" ] || fail "no textfile written"
[ "$(stat -c %a "$textfile")" = 644 ] || fail "textfile mode $(stat -c %a "$textfile")"
grep -q '^blockwatch_blocked{.*function="main.handle.func1"' "$textfile" ||
	fail "the textfile lacks the leak's series"
if command -v promtool >/dev/null; then
	promtool check metrics <"$textfile" || fail "promtool rejects the textfile"
fi
spawn prometheus-node-exporter --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$BW_TMP/textfile" \
	--web.listen-address="127.0.0.1:$NODE_PORT" >"$BW_TMP/node_exporter.log" 2>&1
for ((i = 0; i < 50; i++)); do
	node=$(curl -sf "http://127.0.0.1:$NODE_PORT/metrics") && break
	sleep 0.1
done
[ -n "${node:-}" ] || fail "node_exporter does not serve: $(tail -3 "$BW_TMP/node_exporter.log")"
grep -q '^node_textfile_scrape_error 0$' <<<"$node" ||
	fail "node_exporter could not read the textfile: $(grep -i textfile "$BW_TMP/node_exporter.log" | tail -3)"
grep -q "^blockwatch_blocked{.*function=\"main.handle.func1\".*pid=\"$GT_PID\"" <<<"$node" ||
	fail "node_exporter does not export the leak's series"
echo "node_exporter: exports $(grep -c '^blockwatch_' <<<"$node") blockwatch samples from the textfile"

# ---- hostile clients ----
status_of() { head -1 | tr -d '\r'; }
# garbage bytes, then a TLS hello: a 400 or a closed connection, never a crash
for junk in '\x00\xff\xfe garbage\r\n\r\n' '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03'; do
	reply=$(exec 3<>"/dev/tcp/127.0.0.1/$BW_PORT" && printf "$junk" >&3 && timeout 5 cat <&3 | status_of) || true
	echo "garbage -> '${reply:-closed}'"
	[[ "$reply" != *" 200 "* ]] || fail "garbage was answered with 200"
done
# wrong method, wrong path
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$BW_PORT/metrics") || true
[ "$code" = 405 ] || fail "POST /metrics: $code, expected 405"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$BW_PORT/debug") || true
[ "$code" = 404 ] || fail "GET /debug: $code, expected 404"
# a 1 MB header and a 100 MB body (only a part sent): refused without harm
reply=$({ exec 3<>"/dev/tcp/127.0.0.1/$BW_PORT" &&
	{ printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: '; head -c 1048576 /dev/zero | tr '\0' a;
		printf '\r\n\r\n'; } >&3 2>/dev/null; timeout 5 cat <&3 | status_of; } 2>/dev/null) || true
echo "1 MB header -> '${reply:-closed}'"
[[ "$reply" != *" 200 "* ]] || fail "a 1 MB header was served"
reply=$({ exec 3<>"/dev/tcp/127.0.0.1/$BW_PORT" &&
	{ printf 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n';
		head -c 4194304 /dev/zero; } >&3 2>/dev/null; timeout 5 cat <&3 | status_of; } 2>/dev/null) || true
echo "100 MB body -> '${reply:-closed}'"
[[ "$reply" != *" 200 "* ]] || fail "a 100 MB POST was served"
# slow clients: 20 half-sent requests do not keep the scraper out; a flood of 300 is closed by
# the server's idle timeout (10 s) and, once it stops, /metrics is served at once
python3 - "$BW_PORT" <<'EOF' || fail "slow clients"
import socket, subprocess, sys, time
port = int(sys.argv[1])
url = "http://127.0.0.1:%d/metrics" % port

def hold(n):
    socks = []
    for i in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=0.2)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never finished
            socks.append(s)
        except OSError:
            pass  # past the connection limit and the backlog: refused or timed out
    return socks

def served():
    r = subprocess.run(["curl", "-s", "-m", "2", "-o", "/dev/null", "-w", "%{http_code}", url],
                       capture_output=True, text=True)
    return r.stdout == "200"

def closed_by_server(socks):
    n = 0
    for s in socks:
        s.settimeout(0.01)
        try:
            n += s.recv(1) == b""
        except socket.timeout:
            pass
        except OSError:
            n += 1
    return n

few = hold(20)
if not served():
    sys.exit("FAIL: 20 half-sent requests kept the scraper out")
print("20 half-sent requests held: /metrics still served")
flood = hold(300)
print("flood: %d of 300 connections made" % len(flood))
time.sleep(12)
closed = closed_by_server(few + flood)
print("after 12 s, the server had closed %d of %d" % (closed, len(few) + len(flood)))
if closed < 64:
    sys.exit("FAIL: the idle timeout closed only %d connections" % closed)
for s in few + flood:
    s.close()
for i in range(30):
    if served():
        print("flood over: /metrics served again after %.1f s" % (i * 0.1))
        sys.exit(0)
    time.sleep(0.1)
sys.exit("FAIL: /metrics not served within 3 s of the flood's end")
EOF
kill -0 "$BW_PID" 2>/dev/null || fail "blockwatch died under hostile clients: $(tail -5 "$BW_TMP/bw.err")"
# (captured first: grep -q would close the pipe on curl, and pipefail would call that a failure)
metrics=$(curl -sf "http://127.0.0.1:$BW_PORT/metrics") || fail "/metrics no longer served after the hostile clients"
grep -q '^blockwatch_blocked{.*main.handle.func1' <<<"$metrics" ||
	fail "/metrics lacks the leak's series after the hostile clients"
sleep 3
up=$(query 'up{job="blockwatch"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
[ "$up" = 1 ] || fail "Prometheus no longer scrapes blockwatch (up=$up)"
echo "after the hostile clients: /metrics served, Prometheus up=$up"
stop_go_target
