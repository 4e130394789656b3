# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A real Prometheus (Debian's prometheus package) scrapes memleakd
# --metrics while memleakd traces a leak and a cache; PromQL over its HTTP
# API finds the leak's series growing and the cache's flat.
# Sourced by tests/integration/run.sh, after lib.sh.

# free_port: a TCP port nothing listens on now (on 127.0.0.1).
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# prom_query EXPR: one line per series of the instant query's result,
# "caller value" (or "labels value" for a series without a caller label).
prom_query() {
	curl -s --max-time 5 --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" |
		python3 -c '
import json, sys
r = json.load(sys.stdin)
if r.get("status") != "success":
    sys.exit("query failed: %s" % r)
for s in r["data"]["result"]:
    m = s["metric"]
    print(m.get("caller", ",".join("%s=%s" % kv for kv in sorted(m.items()))), s["value"][1])
'
}

# prom_series EXPR: the instant query's result as PromQL shows it, "{labels} value".
prom_series() {
	curl -s --max-time 5 --data-urlencode "query=$1" "http://127.0.0.1:$PROM_PORT/api/v1/query" |
		python3 -c '
import json, sys
for s in json.load(sys.stdin)["data"]["result"]:
    m = s["metric"]
    name = m.pop("__name__", "")
    print("%s{%s} %s" % (name, ",".join("%s=\"%s\"" % kv for kv in m.items()), s["value"][1]))
'
}

# prom_value EXPR CALLER: the value of CALLER's series in EXPR's result ("" if none).
prom_value() {
	prom_query "$1" | awk -v c="$2" '$1 == c { print $2 }'
}

# start_prometheus METRICS_PORT: Prometheus on 127.0.0.1:PROM_PORT scraping
# memleakd every second, with the shipped alerting rules evaluated every
# second; waits until it is ready.
start_prometheus() {
	local dir="$WORK/prometheus" i
	command -v prometheus >/dev/null ||
		fail "prometheus is not installed: 'make deps' (tools/install-deps.sh) installs Debian's prometheus package"
	mkdir -p "$dir"
	PROM_PORT=$(free_port)
	cat >"$dir/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  evaluation_interval: 1s
		rule_files:
		  - $PWD/tools/prometheus/memleakd-alerts.yml
		scrape_configs:
		  - job_name: memleakd
		    static_configs:
		      - targets: ['127.0.0.1:$1']
	EOF
	promtool check config "$dir/prometheus.yml" >"$dir/check.out" 2>&1 ||
		fail "promtool check config:" "$(cat "$dir/check.out")"
	prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$dir/log" 2>&1 &
	PROM_PID=$!
	track_pid "$PROM_PID"
	for ((i = 0; i < 200; i++)); do
		curl -sf --max-time 1 "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null && return 0
		kill -0 "$PROM_PID" 2>/dev/null || fail "prometheus exited:" "$(cat "$dir/log")"
		sleep 0.1
	done
	fail "prometheus not ready after 20 s:" "$(cat "$dir/log")"
}

# memleakd -i 1 --metrics on a 20 KiB/s leak (steady_leak) and a cache that
# fills in 3 s and then stays flat (cache_put), both of tests/fixtures/growth.c;
# Prometheus scrapes every second. deriv() over the last 10 s of samples:
# about 20 KiB/s for the leak, about 0 for the cache; memleakd_stack_growing
# 1 and 0; the shipped MemleakdStackGrowing rule pending for the leak only.
test_prometheus_scrape() {
	local leak_pid cache_pid metrics_port i rate cache_rate growing_leak growing_cache alerts up
	start_fixture growth steady
	leak_pid=$FIXTURE_PID
	start_fixture growth cache
	cache_pid=$FIXTURE_PID
	metrics_port=$(free_port)
	start_memleakd -p "$leak_pid" -p "$cache_pid" -i 1 --metrics "127.0.0.1:$metrics_port"
	start_prometheus "$metrics_port"
	kill -USR1 "$leak_pid" "$cache_pid"
	# The cache is full 3 s after SIGUSR1; 10 s of flat samples after that.
	# Then wait for Prometheus to hold both stacks (at most 20 s more).
	sleep 14
	up=$(prom_query 'up{job="memleakd"}' | awk '{ print $2 }')
	expect_eq "Prometheus's up for memleakd (1: scraped)" 1 "$up" "$(tail -5 "$ML_ERR")" \
		"$(curl -s --max-time 2 "http://127.0.0.1:$metrics_port/metrics" | head -5)"
	for ((i = 0; i < 20; i++)); do
		# Summed by caller: one series per stack id (one, unless the unwinder
		# gave the caller two stacks).
		rate=$(prom_value 'sum by (caller) (deriv(memleakd_stack_outstanding_bytes[10s]))' steady_leak)
		cache_rate=$(prom_value 'sum by (caller) (deriv(memleakd_stack_outstanding_bytes[10s]))' cache_put)
		[ -n "$rate" ] && [ -n "$cache_rate" ] && break
		sleep 1
	done
	[ -n "$rate" ] && [ -n "$cache_rate" ] ||
		fail "Prometheus has no series for steady_leak and cache_put; stacks:" \
			"$(prom_query 'memleakd_stack_outstanding_bytes')" "memleakd stderr:" "$(tail -5 "$ML_ERR")"
	echo "# deriv(memleakd_stack_outstanding_bytes[10s]):"
	prom_series 'deriv(memleakd_stack_outstanding_bytes[10s])' | sed 's/^/#   /'
	# 1 KiB every 50 ms: 20480 B/s, less the fixture's own sleep overshoot.
	awk -v r="$rate" 'BEGIN { exit !(r >= 10000 && r <= 25000) }' ||
		fail "steady_leak: deriv $rate B/s, want 10000..25000 (20 KiB/s)"
	awk -v r="$cache_rate" 'BEGIN { exit !(r >= -200 && r <= 200) }' ||
		fail "cache_put: deriv $cache_rate B/s, want about 0 (a full cache)"
	growing_leak=$(prom_value 'max by (caller) (memleakd_stack_growing)' steady_leak)
	growing_cache=$(prom_value 'max by (caller) (memleakd_stack_growing)' cache_put)
	expect_eq "memleakd_stack_growing of steady_leak" 1 "$growing_leak"
	expect_eq "memleakd_stack_growing of cache_put" 0 "$growing_cache"
	echo "# memleakd_stack_growing: steady_leak $growing_leak, cache_put $growing_cache"
	# The shipped alert matches the leak (pending: its for: is 15 minutes), not the cache.
	alerts=$(prom_query 'ALERTS{alertname="MemleakdStackGrowing"}')
	echo "$alerts" | grep -q '^steady_leak ' ||
		fail "MemleakdStackGrowing is not pending for steady_leak; ALERTS:" "$alerts"
	! echo "$alerts" | grep -q '^cache_put ' || fail "MemleakdStackGrowing matches the cache:" "$alerts"
	echo "# ALERTS{alertname=\"MemleakdStackGrowing\"}:"
	prom_series 'ALERTS{alertname="MemleakdStackGrowing"}' | sed 's/^/#   /'
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT:" "$(stuck_report "$ML_PID" "$ML_ERR")"
	expect_eq "memleakd exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
}
