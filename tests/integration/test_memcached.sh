#!/usr/bin/env bash
# A real third-party server from Debian under load from its own benchmark
# tool: blockwatch shows its worker threads' blocking sites with symbol
# names, and the server still answers after blockwatch detaches.
. "$(dirname "$0")/lib.sh"
need_root
command -v memcached >/dev/null || skip "memcached not installed (scripts/install-deps.sh)"
command -v memcaslap >/dev/null || skip "memcaslap not installed (libmemcached-tools)"
port=$((20000 + RANDOM % 20000))
spawn memcached -l 127.0.0.1 -p "$port" -U 0 -t 4 -u nobody
pid=$!
for i in $(seq 50); do
	(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
	sleep 0.1
done
spawn timeout 6 memcaslap -s "127.0.0.1:$port" -t 5s -T 2 -c 16 >/dev/null 2>&1
load=$!
"$BLOCKWATCH" -p "$pid" -i 1 -d 4 --json >"$BW_TMP/out.json" 2>"$BW_TMP/err" || fail "blockwatch failed: $(cat "$BW_TMP/err")"
python3 - "$BW_TMP/out.json" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
recs = bwjson.load(sys.argv[1])
sites = bwjson.last_interval(recs)
assert sites, "no sites"
# memcached's worker threads wait in libevent's loop (epoll_wait), and its
# helper threads (LRU crawler, maintainer, ...) wait on condition variables
named = [s for s in sites if any(f and not f.startswith("0x") for f in bwjson.functions(s))]
assert named, "no site has a named frame:\n" + bwjson.describe(sites)
epoll = [s for s in sites if s["reason"].startswith("epoll_wait") and "event_base_loop" in bwjson.functions(s)]
assert epoll, "no epoll_wait site in event_base_loop:\n" + bwjson.describe(sites)
# under load the workers are mostly running: their waits complete by the thousand
assert sum(s["waits"] for s in epoll) > 100, "few completed epoll waits under load:\n" + bwjson.describe(epoll)
print("ok:\n" + bwjson.describe(sites[:8]))
PY
# idle again, the 4 workers (-t 4) sit in epoll_wait
wait "$load" || true
sleep 0.5
"$BLOCKWATCH" -p "$pid" -c 1 --json >"$BW_TMP/idle.json" 2>"$BW_TMP/err" || fail "blockwatch failed: $(cat "$BW_TMP/err")"
python3 - "$BW_TMP/idle.json" "$BW_ROOT/tests/integration" <<'PY'
import sys
sys.path.insert(0, sys.argv[2])
import bwjson
sites = bwjson.last_interval(bwjson.load(sys.argv[1]))
epoll = [s for s in sites if s["reason"].startswith("epoll_wait") and "event_base_loop" in bwjson.functions(s)]
assert sum(s["blocked"] for s in epoll) >= 4, "fewer than 4 idle workers in epoll_wait:\n" + bwjson.describe(sites)
PY
# the server still answers
exec 3<>"/dev/tcp/127.0.0.1/$port" || fail "memcached no longer accepts connections"
printf 'set k 0 0 2\r\nok\r\nget k\r\nquit\r\n' >&3
reply=$(timeout 5 cat <&3)
exec 3>&- 3<&-
grep -q "^VALUE k 0 2" <<<"$reply" || fail "memcached did not answer after detach: $reply"
kill -0 "$pid" || fail "memcached died"
echo ok
