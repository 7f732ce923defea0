#!/usr/bin/env bash
# deploy/prometheus/rules.yml passes promtool check rules and its unit tests (rules_test.yml:
# synthetic leaks, slow leaks, sawtooth, warm-up plateau, ticker, noise, restarts, at the rules'
# real durations); a real Prometheus (Debian's) loads the rules. deploy/grafana/blockwatch.json
# is valid JSON with a sound layout and variables, and every query in it (panels and variables)
# is valid PromQL: the Prometheus' HTTP API answers each with "status":"success" (and a broken
# query with an error, so the check can fail).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/promlib.sh"
for tool in promtool prometheus curl python3; do
	command -v "$tool" >/dev/null || skip "needs $tool (Debian package prometheus: scripts/install-deps.sh)"
done
cd "$BW_ROOT"
rules=deploy/prometheus/rules.yml
dash=deploy/grafana/blockwatch.json

promtool check rules "$rules" || fail "promtool check rules $rules"
promtool test rules deploy/prometheus/rules_test.yml || fail "promtool test rules (rules_test.yml)"

port=$(free_port)
cp "$rules" "$BW_TMP/rules.yml"
start_prometheus "$port" "" rules.yml
sleep 2 # a rule evaluation or two

python3 - "$port" "$dash" <<'PY'
import json, re, sys, urllib.parse, urllib.request
port, path = sys.argv[1], sys.argv[2]
base = "http://127.0.0.1:%s/api/v1/" % port
errs = []

def api(what, **params):
    url = base + what + ("?" + urllib.parse.urlencode(params) if params else "")
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:  # 400 for a bad query, with a JSON body
        return json.load(e)

# the rules loaded into the real server, every one evaluated without error
groups = api("rules")["data"]["groups"]
names = {g["name"] for g in groups}
if names != {"blockwatch.rules", "blockwatch.alerts"}:
    errs.append("Prometheus loaded rule groups %s" % sorted(names))
for g in groups:
    for r in g["rules"]:
        if r.get("health") not in ("ok", "unknown") or r.get("lastError"):
            errs.append("rule %s: health %s %s" % (r["name"], r.get("health"), r.get("lastError")))
nrules = sum(len(g["rules"]) for g in groups)

d = json.load(open(path))
for k in ("title", "uid", "panels", "templating", "schemaVersion"):
    if k not in d:
        errs.append("dashboard has no %r" % k)
variables = {v["name"]: v for v in d["templating"]["list"]}
builtin = {"__rate_interval": "1m", "__interval": "15s", "__range": "1h"}
subst = {"instance": ".*", "comm": ".*", "top": "10"}
if set(variables) != {"datasource"} | set(subst):
    errs.append("variables %s, the test knows %s" % (sorted(variables), sorted(subst)))

def expand(expr, where):
    for name in re.findall(r"\$\{?(\w+)\}?", expr):
        if name not in subst and name not in builtin:
            errs.append("%s uses an undefined variable $%s" % (where, name))
    return re.sub(r"\$\{?(\w+)\}?", lambda m: subst.get(m.group(1), builtin.get(m.group(1), m.group(0))), expr)

queries = []
for name, v in variables.items():
    if v["type"] == "query":
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", q)
        if not m:
            errs.append("variable %s: not a label_values() query: %r" % (name, q))
            continue
        queries.append(("variable " + name, expand(m.group(1), "variable " + name)))
ids, cells = set(), []
for p in d["panels"]:
    where = "panel %r" % p.get("title")
    if p.get("id") in ids:
        errs.append("%s: duplicate id %s" % (where, p.get("id")))
    ids.add(p.get("id"))
    g = p["gridPos"]
    if g["x"] < 0 or g["w"] <= 0 or g["x"] + g["w"] > 24 or g["h"] <= 0:
        errs.append("%s: gridPos %s outside the 24 columns" % (where, g))
    cells += [(g["y"] + dy, g["x"] + dx) for dy in range(g["h"]) for dx in range(g["w"])]
    if p.get("datasource", {}).get("uid") != "${datasource}":
        errs.append("%s: datasource %s, not ${datasource}" % (where, p.get("datasource")))
    if not p.get("targets"):
        errs.append("%s: no query" % where)
    for t in p.get("targets", []):
        queries.append((where, expand(t["expr"], where)))
if len(cells) != len(set(cells)):
    errs.append("panels overlap")

bad = api("query", query="sum(blockwatch_blocked")
if bad.get("status") != "error":
    errs.append("a broken query was answered %r: the check below proves nothing" % bad.get("status"))
for where, q in queries:
    ans = api("query", query=q)
    if ans.get("status") != "success":
        errs.append("%s: %s -> %s: %s" % (where, q, ans.get("errorType"), ans.get("error")))
if errs:
    sys.exit("FAIL: " + "\n      ".join(errs))
print("Prometheus loaded %d rules; dashboard: %d panels, %d queries, all valid PromQL"
      % (nrules, len(d["panels"]), len(queries)))
PY
echo ok
