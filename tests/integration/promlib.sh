#!/usr/bin/env bash
# Helpers for the tests that run a real Prometheus (Debian's package) next to
# blockwatch: free ports, and a Prometheus with its data in $BW_TMP, killed at
# exit. Sourced after lib.sh.

# free_port: a TCP port nothing listens on at 127.0.0.1 now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_prometheus PORT SCRAPE_PORT [RULES]: Prometheus on 127.0.0.1:PORT, scraping
# 127.0.0.1:SCRAPE_PORT (job "blockwatch"; nothing when empty) and evaluating the rule file
# RULES (relative to $BW_TMP) every second. Returns once it is ready; its pid in PROM_PID.
start_prometheus() {
	local port=$1 scrape=$2 rules=${3:-} i
	local rule_files="" scrape_configs="scrape_configs: []"

	[ -z "$rules" ] || rule_files="rule_files: [$rules]"
	[ -z "$scrape" ] || scrape_configs="scrape_configs:
  - job_name: blockwatch
    static_configs:
      - targets: ['127.0.0.1:$scrape']"
	cat >"$BW_TMP/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
$rule_files
$scrape_configs
YML
	spawn prometheus --config.file="$BW_TMP/prometheus.yml" --storage.tsdb.path="$BW_TMP/tsdb" \
		--web.listen-address="127.0.0.1:$port" >"$BW_TMP/prometheus.log" 2>&1
	PROM_PID=$!
	for ((i = 0; i < 150; i++)); do
		curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && return 0
		sleep 0.2
	done
	fail "Prometheus is not ready: $(tail -5 "$BW_TMP/prometheus.log")"
}
