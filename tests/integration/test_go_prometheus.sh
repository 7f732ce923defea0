#!/usr/bin/env bash
# A real third-party Go program nobody here wrote: Debian's prometheus
# (go1.19, stripped, -trimpath). Idle keep-alive connections leave one
# goroutine per connection waiting on the network; blockwatch counts the
# goroutines as the program's own pprof endpoint does, names the sites,
# and the server keeps working.
. "$(dirname "$0")/lib.sh"
need_root
command -v prometheus >/dev/null || skip "prometheus not installed (scripts/install-deps.sh)"
port=$((20000 + RANDOM % 20000))
cat >"$BW_TMP/prom.yml" <<YML
global:
  scrape_interval: 10s
scrape_configs: []
YML
spawn prometheus --config.file="$BW_TMP/prom.yml" --storage.tsdb.path="$BW_TMP/data" \
	--web.listen-address="127.0.0.1:$port" --log.level=error
pid=$!
for i in $(seq 100); do
	curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/-/ready" >/dev/null || fail "prometheus did not start"
# 100 idle connections, each with half a request: 100 goroutines read forever
python3 - "$port" >"$BW_TMP/conns.out" 2>&1 <<'PY' &
import socket, sys, time
socks = []
for _ in range(100):
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
print("open", flush=True)
time.sleep(60)
PY
BW_PIDS+=($!)
wait_for_line "$BW_TMP/conns.out" '^open'
sleep 1
"$BLOCKWATCH" -p "$pid" -i 1 -c 2 --json >"$BW_TMP/out.json" 2>"$BW_TMP/err" || fail "blockwatch failed: $(cat "$BW_TMP/err")"
curl -fsS "http://127.0.0.1:$port/debug/pprof/goroutine?debug=1" >"$BW_TMP/pprof.txt" || fail "no pprof from prometheus"
python3 - "$BW_TMP" "$BW_ROOT/tests/integration" <<'PY'
import re, sys
sys.path.insert(0, sys.argv[2])
import bwjson
tmp = sys.argv[1]
recs = bwjson.load(tmp + "/out.json")
procs = [r for r in recs if r.get("type") == "process"]
assert procs and procs[-1]["go_version"].startswith("go1."), procs[-1:]
ours = procs[-1]["goroutines"]
theirs = int(re.search(r"goroutine profile: total (\d+)", open(tmp + "/pprof.txt").read()).group(1))
assert abs(ours - theirs) <= max(2, theirs * 0.02), f"blockwatch counted {ours} goroutines, pprof {theirs}"
sites = [s for s in bwjson.last_interval(recs) if s["kind"] == "goroutine"]
# the 100 idle connections: IO wait, under net/http's connection reader
io = [s for s in sites if s["reason"] == "IO wait" and any("net/http" in f for f in bwjson.functions(s))]
assert io and max(s["blocked"] for s in io) >= 100, "no IO wait site with 100 goroutines:\n" + bwjson.describe(sites)
named = sum(1 for s in sites for f in bwjson.functions(s) if f)
assert named > 20, "few named frames"
print(f"ok: {ours} goroutines (pprof {theirs}); {len(sites)} goroutine sites")
PY
curl -fsS "http://127.0.0.1:$port/api/v1/query?query=up" | grep -q '"status":"success"' || fail "prometheus stopped answering"
kill -0 "$pid" || fail "prometheus died"
echo ok
