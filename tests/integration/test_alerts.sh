#!/usr/bin/env bash
# The alerting rules in a real Prometheus (Debian's) scraping blockwatch: BlockwatchLeak and
# BlockwatchBlockedGrowing fire for a Go target that leaks one goroutine a second (timeout_send,
# at main.handle.func1) and never even go pending for two controls watched by the same
# blockwatch: an idle worker pool and a sawtooth of bursts that are all released. Then the
# Grafana dashboard's queries, run against that Prometheus, show the leak.
#
# The rules are time-scaled for the test: every duration in deploy/prometheus/rules.yml (for:,
# range windows, offsets, group intervals) divided by 60, so "held 10 minutes" is held 10 s and
# "grown for an hour" is grown for a minute; expressions are otherwise unchanged. The rules'
# real durations are tested by promtool (rules_test.yml, test_prom_rules.sh).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
. "$(dirname "$0")/promlib.sh"
go_prereqs
for tool in prometheus curl; do
	command -v "$tool" >/dev/null || skip "needs $tool (Debian package prometheus: scripts/install-deps.sh)"
done
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml (scripts/install-deps.sh)"
go_build_targets timeout_send pool bursts

BW_PORT=$(free_port)
PROM_PORT=$(free_port)
[ "$BW_PORT" != "$PROM_PORT" ] || PROM_PORT=$((BW_PORT + 1))

# the rules, time-scaled
python3 - "$BW_ROOT/deploy/prometheus/rules.yml" >"$BW_TMP/rules.yml" <<'PY'
import re, sys, yaml
UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}

def scaled(d):
    secs = sum(float(n) * UNIT[u] for n, u in re.findall(r"(\d+)(ms|[smhd])", d))
    return "%ds" % max(1, round(secs / 60))

def scale_expr(e):
    e = re.sub(r"\[(\w+)\]", lambda m: "[%s]" % scaled(m.group(1)), e)
    return re.sub(r"\boffset (\w+)", lambda m: "offset %s" % scaled(m.group(1)), e)

doc = yaml.safe_load(open(sys.argv[1]))
for g in doc["groups"]:
    if "interval" in g:
        g["interval"] = scaled(g["interval"])
    for r in g["rules"]:
        r["expr"] = scale_expr(str(r["expr"]))
        if "for" in r:
            r["for"] = scaled(r["for"])
yaml.safe_dump(doc, sys.stdout, sort_keys=False)
PY
grep -q 'for: 10s' "$BW_TMP/rules.yml" && grep -q 'offset 50s' "$BW_TMP/rules.yml" ||
	fail "the scaled rules lack 'for: 10s' or 'offset 50s': $(cat "$BW_TMP/rules.yml")"
promtool check rules "$BW_TMP/rules.yml" >/dev/null || fail "the scaled rules do not pass promtool"

# the leak and the controls, one blockwatch for the three
start_go_target timeout_send plain -rate 1
leak=$GT_PID
start_go_target pool plain
pool=$GT_PID
start_go_target bursts plain
bursts=$GT_PID
spawn timeout --kill-after=5 400 "$BLOCKWATCH" -p "$leak,$pool,$bursts" -i 1 --no-tui -o /dev/null \
	--prom "127.0.0.1:$BW_PORT" 2>"$BW_TMP/bw.err"
BW_PID=$!

start_prometheus "$PROM_PORT" "$BW_PORT" rules.yml

# prom_py SCRIPT ARGS...: python with q(promql) -> result list
prom_py() {
	PROM=http://127.0.0.1:$PROM_PORT python3 -c "
import json, os, sys, urllib.parse, urllib.request
def q(expr):
    url = os.environ['PROM'] + '/api/v1/query?' + urllib.parse.urlencode({'query': expr})
    with urllib.request.urlopen(url, timeout=10) as r:
        a = json.load(r)
    assert a['status'] == 'success', a
    return a['data']['result']
$1" "${@:2}"
}

# both alerts fire for the leak, within 3 minutes
start=$(date +%s)
for alert in BlockwatchLeak BlockwatchBlockedGrowing; do
	until [ "$(prom_py "print(len(q('ALERTS{alertname=\"$alert\",alertstate=\"firing\",comm=\"timeout_send\",function=\"main.handle.func1\"}')))")" -gt 0 ]; do
		kill -0 "$BW_PID" 2>/dev/null || fail "blockwatch exited: $(tail -5 "$BW_TMP/bw.err")"
		[ $(($(date +%s) - start)) -lt 180 ] ||
			fail "$alert did not fire for the leak in 180 s; blockwatch_leak: $(prom_py "print(q('blockwatch_leak{comm=\"timeout_send\"}'))")"
		sleep 2
	done
	echo "$alert firing for timeout_send main.handle.func1 after $(($(date +%s) - start)) s"
done

# the controls never had an alert, not even pending; the leak no other; and they were watched
prom_py "
import sys
pool, bursts = sys.argv[1:3]
ever = q('max_over_time(ALERTS[10m])')
alerts = sorted({(a['metric']['alertname'], a['metric'].get('comm'), a['metric'].get('function'))
                 for a in ever})
print('alerts ever (firing or pending):', alerts)
bad = [a for a in alerts if a[1:] != ('timeout_send', 'main.handle.func1')]
if bad:
    sys.exit('FAIL: alerts other than the leak\'s: %s' % bad)
for comm, pid, func in (('pool', pool, 'main.worker'), ('bursts', bursts, 'main.waiter')):
    seen = q('max_over_time(blockwatch_blocked{pid=\"%s\",function=\"%s\"}[10m])' % (pid, func))
    judged = q('count_over_time(blockwatch_verdict{pid=\"%s\",function=\"%s\"}[10m])' % (pid, func))
    if not seen or float(seen[0]['value'][1]) < 1 or not judged:
        sys.exit('FAIL: control %s (%s) was not watched: blocked %s, verdicts %s' % (comm, func, seen, judged))
    print('control %s: up to %s blocked at %s, judged %s times, never alerted'
          % (comm, seen[0]['value'][1], func, judged[0]['value'][1]))
" "$pool" "$bursts" || fail "alerts for the controls"

# the dashboard's queries, with the data: the leak shows in its panels
prom_py "
import json, re, sys
d = json.load(open(sys.argv[1]))
subst = {'instance': '.*', 'comm': '.*', 'top': '10', '__rate_interval': '5s'}
def expand(e):
    return re.sub(r'\\$\\{?(\\w+)\\}?', lambda m: subst[m.group(1)], e)
need = {'Sites judged leaks', 'Blocked now', 'Processes watched', 'Blocked per site',
        'Growth per minute (suspects and leaks)', 'Oldest wait', 'Verdicts',
        'Sites judged leaks now', 'Goroutines by state'}
res = {}
for p in d['panels']:
    res[p['title']] = [r for t in p['targets'] for r in q(expand(t['expr']))]
empty = sorted(t for t in need if not res.get(t))
if empty:
    sys.exit('FAIL: dashboard panels without data: %s' % empty)
def leak_rows(title):
    return [r for r in res[title] if r['metric'].get('function') == 'main.handle.func1']
for t in ('Blocked per site', 'Growth per minute (suspects and leaks)', 'Oldest wait', 'Sites judged leaks now'):
    if not leak_rows(t):
        sys.exit('FAIL: panel %r does not show main.handle.func1: %s' % (t, res[t]))
growth = float(leak_rows('Sites judged leaks now')[0]['value'][1])
if not 40 <= growth <= 80:
    sys.exit('FAIL: the leak grows by %.1f a minute on the dashboard, the target leaks 60' % growth)
verdicts = {r['metric']['verdict'] for r in res['Verdicts']}
if 'leak' not in verdicts:
    sys.exit('FAIL: the Verdicts panel has %s' % verdicts)
print('dashboard: %d panels with data; the leak grows by %.1f/min on it (target: 60)'
      % (sum(1 for v in res.values() if v), growth))
" "$BW_ROOT/deploy/grafana/blockwatch.json" || fail "dashboard queries on live data"
echo ok
