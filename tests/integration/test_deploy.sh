#!/usr/bin/env bash
# The deployments run blockwatch as they say, with the privileges they grant and no more:
# - blockwatch.service (as installed): its ExecStart, expanded as systemd expands it with the
#   unit's environment, runs under what the unit grants (a non-root uid like DynamicUser's, its
#   AmbientCapabilities as the only capabilities, no_new_privs) and serves the metrics of a
#   leaking Go target owned by root (goroutines read from its memory), on 127.0.0.1 only. Without
#   any one of those capabilities it does not; the system calls it makes (strace) are none of
#   those its SystemCallFilter denies.
# - the DaemonSet: its manifest's shape (hostPID, capabilities = the unit's, the rest dropped,
#   ports, image version), and its container arguments run here as the container would (uid 0,
#   bounding set = its capabilities) serve the target's metrics and stop cleanly on SIGTERM.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golib.sh"
. "$(dirname "$0")/promlib.sh"
go_prereqs
for tool in setpriv strace systemd-analyze curl ss; do
	command -v "$tool" >/dev/null || skip "needs $tool (scripts/install-deps.sh)"
done
python3 -c 'import yaml' 2>/dev/null || skip "needs python3-yaml (scripts/install-deps.sh)"
cd "$BW_ROOT"
version=$(cat VERSION)
root=$BW_TMP/root
make --no-print-directory -s install DESTDIR="$root" PREFIX=/usr >"$BW_TMP/install.log" 2>&1 ||
	fail "make install failed: $(tail -5 "$BW_TMP/install.log")"
unit=$root/usr/lib/systemd/system/blockwatch.service
bin=$root/usr/sbin/blockwatch

go_build_targets timeout_send
# the target runs from a directory only root may enter, as a service's binaries often do
# (a 0700 home, a container's root): CAP_DAC_READ_SEARCH is what lets blockwatch read it
private=$BW_TMP/private
mkdir -m 0700 "$private"
cp "$(go_target_bin timeout_send plain)" "$private/timeout_send"
BW_GO_OUT=$private start_go_target timeout_send plain -rate 5
target=$GT_PID

# metrics_of PORT: /metrics, or nothing
metrics_of() { curl -sf --max-time 2 "http://127.0.0.1:$1/metrics" || true; }
# wait_target_series PORT PID SECONDS: until the target's goroutines and its leak site are served
wait_target_series() {
	local i m
	for ((i = 0; i < $3 * 2; i++)); do
		m=$(metrics_of "$1")
		grep -q "^blockwatch_goroutines{pid=\"$target\",comm=\"timeout_send\",container=\"\",state=\"waiting\"} [1-9]" <<<"$m" &&
			grep -q "^blockwatch_blocked{pid=\"$target\",.*function=\"main.handle.func1\".* [1-9]" <<<"$m" &&
			return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.5
	done
	return 1
}

# ---- the unit: its command line, expanded the way systemd does ----
# prints the argv of ExecStart, NUL-separated; extra options are appended to BLOCKWATCH_OPTS
unit_argv() { # LISTEN EXTRA_OPTS
	python3 - "$unit" "$root/etc/default/blockwatch" "$1" "$2" <<'PY'
import re, shlex, sys
unit, envfile, listen, extra = sys.argv[1:5]
text = open(unit).read().replace("\\\n", " ")
keys = {}
for line in text.splitlines():
    m = re.match(r"^(\w+)=(.*)$", line)
    if m:
        keys.setdefault(m.group(1), []).append(m.group(2))
env = {}
for words in keys.get("Environment", []):
    for w in shlex.split(words):
        k, v = w.split("=", 1)
        env[k] = v
for line in open(envfile):  # EnvironmentFile: KEY=VALUE lines, comments ignored
    m = re.match(r"^\s*(\w+)=(.*)$", line)
    if m:
        env[m.group(1)] = " ".join(shlex.split(m.group(2)))
env["BLOCKWATCH_LISTEN"] = listen
env["BLOCKWATCH_OPTS"] = (env.get("BLOCKWATCH_OPTS", "") + " " + extra).strip()
argv = []
for w in shlex.split(keys["ExecStart"][0]):
    m = re.fullmatch(r"\$(\w+)", w)
    if m:  # $VAR: split at whitespace into several words
        argv += env.get(m.group(1), "").split()
    else:  # ${VAR}: one word
        argv.append(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), w))
sys.stdout.write("\0".join(argv) + "\0")
PY
}
# unit_caps KEY: the unit's capability list in setpriv's form (+bpf,+perfmon,...)
unit_caps() {
	sed -n "s/^$1=//p" "$unit" | tr ' ' '\n' | sed -n 's/^CAP_\(.*\)/+\L\1/p' | paste -sd,
}
ambient=$(unit_caps AmbientCapabilities)
[ -n "$ambient" ] || fail "the unit grants no AmbientCapabilities"
[ "$ambient" = "$(unit_caps CapabilityBoundingSet)" ] ||
	fail "AmbientCapabilities ($ambient) and CapabilityBoundingSet ($(unit_caps CapabilityBoundingSet)) differ"
grep -qx 'DynamicUser=yes' "$unit" || fail "the unit no longer runs as a DynamicUser: update this test"
grep -qx 'NoNewPrivileges=yes' "$unit" || fail "the unit lost NoNewPrivileges"

# run_as_unit CAPS PORT LOG [strace args...]: the unit's command under those capabilities,
# as a non-root user; pid in $!
run_as_unit() {
	local caps=$1 port=$2 log=$3 argv=()
	shift 3
	mapfile -d '' argv < <(unit_argv "127.0.0.1:$port" "--comm timeout_send -i 1")
	[ "${argv[0]}" = /usr/sbin/blockwatch ] || fail "ExecStart runs '${argv[0]}'"
	argv[0]=$bin
	spawn "$@" setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs \
		--inh-caps="-all,$caps" --ambient-caps="$caps" --bounding-set="-all,$caps" \
		"${argv[@]}" >"$log" 2>&1
}

port=$(free_port)
run_as_unit "$ambient" "$port" "$BW_TMP/unit.log" strace -f -qq -o "$BW_TMP/strace" -e trace=all
unit_pid=$!
wait_target_series "$port" "$unit_pid" 40 ||
	fail "with the unit's privileges ($ambient), no metrics of the target: $(tail -5 "$BW_TMP/unit.log")"
listeners=$(ss -Hltn "sport = :$port" | awk '{print $4}')
[ "$listeners" = "127.0.0.1:$port" ] || fail "the unit's blockwatch listens on '$listeners'"
sleep 2
# strace's child is blockwatch (setpriv execs it); strace exits with its status
kill -TERM "$(pgrep -P "$unit_pid")" || fail "no blockwatch under strace"
wait "$unit_pid" || fail "the unit's blockwatch exited with $? on SIGTERM: $(tail -5 "$BW_TMP/unit.log")"
echo "unit: uid 65534 with $ambient serves pid $target's goroutines and leak site on 127.0.0.1:$port"

# the system calls made are allowed by SystemCallFilter (its ~@groups, as systemd defines them)
denied=$(sed -n 's/^SystemCallFilter=~//p' "$unit")
[ -n "$denied" ] || fail "the unit has no SystemCallFilter deny list"
for group in $denied; do
	systemd-analyze syscall-filter "$group" | sed -n 's/^    \([a-z_0-9]*\)$/\1/p'
done | sort -u >"$BW_TMP/denied"
[ "$(wc -l <"$BW_TMP/denied")" -gt 20 ] || fail "systemd-analyze syscall-filter listed too few calls"
sed -n 's/^[0-9]* *\([a-z_0-9]*\)(.*/\1/p' "$BW_TMP/strace" | sort -u >"$BW_TMP/used"
[ "$(wc -l <"$BW_TMP/used")" -gt 20 ] || fail "strace recorded too few system calls"
grep -qx bpf "$BW_TMP/used" && grep -qx process_vm_readv "$BW_TMP/used" ||
	fail "strace did not see bpf and process_vm_readv: the trace proves nothing"
bad=$(comm -12 "$BW_TMP/used" "$BW_TMP/denied")
[ -z "$bad" ] || fail "blockwatch calls what the unit's SystemCallFilter denies: $bad"
# MemoryDenyWriteExecute=yes: systemd's filter refuses a mapping both writable and executable
grep -q 'MemoryDenyWriteExecute=yes' "$unit" || fail "the unit lost MemoryDenyWriteExecute"
wx=$(grep -E '(mmap|mprotect)\(.*PROT_WRITE.*PROT_EXEC|(mmap|mprotect)\(.*PROT_EXEC.*PROT_WRITE' "$BW_TMP/strace" || true)
[ -z "$wx" ] || fail "blockwatch maps memory writable and executable (MemoryDenyWriteExecute refuses it): $wx"
echo "unit: $(wc -l <"$BW_TMP/used") distinct system calls, none of the $(wc -l <"$BW_TMP/denied") denied, no W+X mapping"

# each capability is needed
for cap in ${ambient//,/ }; do
	less=$(tr ',' '\n' <<<"$ambient" | grep -vxF -- "$cap" | paste -sd,)
	port=$(free_port)
	run_as_unit "$less" "$port" "$BW_TMP/less.log"
	p=$!
	if wait_target_series "$port" "$p" 10; then
		fail "the target's metrics are served without ${cap#+}: the unit grants more than needed"
	fi
	kill -TERM "$p" 2>/dev/null || true
	rc=0
	wait "$p" || rc=$?
	echo "unit without ${cap#+}: no metrics of the target (exit $rc$(grep -m1 -o 'missing capabilities.*' "$BW_TMP/less.log" | sed 's/^/, /'))"
done

# ---- the DaemonSet ----
python3 - deploy/kubernetes/daemonset.yaml "$ambient" "$version" >"$BW_TMP/ds-args" <<'PY'
import sys, yaml
path, unit_caps, version = sys.argv[1:4]
docs = list(yaml.safe_load_all(open(path)))
ds = [d for d in docs if d and d.get("kind") == "DaemonSet"]
errs = []
def check(cond, what):
    if not cond:
        errs.append(what)
check(len(ds) == 1, "one DaemonSet, found %d" % len(ds))
ds = ds[0]
check(ds["apiVersion"] == "apps/v1", "apiVersion %s" % ds["apiVersion"])
sel = ds["spec"]["selector"]["matchLabels"]
tmpl = ds["spec"]["template"]
check(all(tmpl["metadata"]["labels"].get(k) == v for k, v in sel.items()), "selector does not match the pod labels")
spec = tmpl["spec"]
check(spec.get("hostPID") is True, "hostPID must be true (the node's processes)")
check(spec.get("hostNetwork") in (None, False), "hostNetwork should stay off")
check(any(t.get("operator") == "Exists" for t in spec.get("tolerations", [])), "no toleration for every node")
(c,) = spec["containers"]
check(c["image"].endswith(":" + version), "image %s is not version %s" % (c["image"], version))
sc = c["securityContext"]
want = sorted(x.lstrip("+").upper() for x in unit_caps.split(","))
check(sorted(sc["capabilities"]["add"]) == want, "capabilities %s, the unit's are %s" % (sc["capabilities"]["add"], want))
check(sc["capabilities"]["drop"] == ["ALL"], "capabilities.drop must be [ALL]")
check(sc.get("privileged") is False and sc.get("allowPrivilegeEscalation") is False, "privileged or escalation allowed")
check(sc.get("runAsUser") == 0, "added capabilities reach uid 0 only")
check(sc.get("readOnlyRootFilesystem") is True, "root filesystem writable")
args = c["args"]
listen = args[args.index("--prom") + 1]
port = listen.rsplit(":", 1)[1]
check(listen.startswith(":"), "--prom %s: Prometheus scrapes the pod's IP" % listen)
check([p["containerPort"] for p in c["ports"]] == [int(port)], "containerPort is not %s" % port)
ann = tmpl["metadata"].get("annotations", {})
check(ann.get("prometheus.io/port") == port and ann.get("prometheus.io/scrape") == "true",
      "prometheus.io annotations do not match port %s" % port)
if errs:
    sys.exit("FAIL: daemonset.yaml: " + "; ".join(errs))
sys.stdout.write("\0".join(args) + "\0")
PY
[ -s "$BW_TMP/ds-args" ] || fail "daemonset.yaml"
mapfile -d '' ds_args <"$BW_TMP/ds-args"
port=$(free_port)
for i in "${!ds_args[@]}"; do # its address, on a free port of the loopback here
	[ "${ds_args[$i]}" = --prom ] && ds_args[$((i + 1))]=127.0.0.1:$port
done
spawn setpriv --clear-groups --inh-caps="-all" --bounding-set="-all,$ambient" --no-new-privs \
	"$bin" "${ds_args[@]}" --comm timeout_send -i 1 >"$BW_TMP/ds.log" 2>&1
ds_pid=$!
wait_target_series "$port" "$ds_pid" 40 ||
	fail "the DaemonSet's command serves no metrics of the target: $(tail -5 "$BW_TMP/ds.log")"
kill -TERM "$ds_pid"
for ((i = 0; i < 50; i++)); do
	kill -0 "$ds_pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$ds_pid" 2>/dev/null && fail "the DaemonSet's blockwatch still runs 5 s after SIGTERM"
wait "$ds_pid" || fail "the DaemonSet's blockwatch exited with $? on SIGTERM"
echo "DaemonSet: manifest consistent; its args (${ds_args[*]}) serve the target as uid 0 with $ambient, stop on SIGTERM"
echo ok
