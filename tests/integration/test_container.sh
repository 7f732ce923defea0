#!/usr/bin/env bash
# Containers are named from the cgroup path, as docker lays it out: a
# process moved into a real cgroup named docker-<id>.scope is reported with
# that container id, and --cgroup selects it system-wide.
. "$(dirname "$0")/lib.sh"
need_root
root=""
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ]; then
		root=$d
		break
	fi
done
[ -n "$root" ] || skip "no cgroup v2 hierarchy mounted"
id=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 64)
cg="$root/docker-$id.scope"
mkdir "$cg" || fail "failed to create cgroup '$cg'"
trap 'bw_cleanup; rmdir "$cg" 2>/dev/null || true' EXIT
target=$(build_c_target blocker)
spawn "$target" cond >"$BW_TMP/t.out"
pid=$!
wait_for_line "$BW_TMP/t.out" '^ready'
echo "$pid" >"$cg/cgroup.procs" || fail "failed to move $pid into '$cg'"
"$BLOCKWATCH" -p "$pid" -c 1 --json >"$BW_TMP/p.json" 2>"$BW_TMP/err" || fail "blockwatch -p: $(cat "$BW_TMP/err")"
"$BLOCKWATCH" --cgroup "/docker-$id.scope" -i 0.5 -c 2 --json >"$BW_TMP/sw.json" 2>"$BW_TMP/err" ||
	fail "blockwatch --cgroup: $(cat "$BW_TMP/err")"
python3 - "$BW_TMP" "$pid" "$id" <<'PY'
import json, sys
tmp, pid, cid = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def records(f):
    return [json.loads(l) for l in open(f) if l.strip()]
procs = [r for r in records(tmp + "/p.json") if r["type"] == "process"]
assert procs and procs[-1]["container_id"] == cid, procs[-1:]
assert procs[-1]["cgroup"] == f"/docker-{cid}.scope", procs[-1]["cgroup"]
sw = records(tmp + "/sw.json")
pids = {r["pid"] for r in sw if r["type"] in ("process", "site")}
assert pids == {pid}, f"--cgroup selected {sorted(pids)}, wanted only {pid}"
print("ok")
PY
kill "$pid"
wait "$pid" 2>/dev/null || true
echo ok
