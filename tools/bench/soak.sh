#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Does memleakd's own memory stay bounded in a long system-wide run with
# --metrics (issue 16 item 3)? memleakd runs system-wide for SECONDS while
# a churn loop starts short-lived processes that allocate and exit holding
# memory (ls, sort, sqlite3 and, with DISTINCT=N, N copies of ls at other
# inodes: new files for the symbolizer each). Every 10 s it prints
# memleakd's RSS, the processes started so far and, from the metrics
# endpoint, the left-at-exit tally's evictions and cuts (memleakd_evictions_total)
# and the live processes listed (memleakd_tracked_processes); at the end the RSS growth
# from the first sample after warm-up to the last, per 1,000 processes.
#
# usage: sudo tools/bench/soak.sh [SECONDS]   (default 180; DISTINCT=N, PORT=N)
set -u
: "${BUILD:=build}"
MEMLEAKD=${MEMLEAKD:-./memleakd}
SECONDS_TOTAL=${1:-180}
DISTINCT=${DISTINCT:-0}
PORT=${PORT:-19999}
WORK=$(mktemp -d /tmp/memleakd-soak.XXXXXX)

cleanup() {
	# shellcheck disable=SC2046
	kill -TERM $(jobs -p) 2>/dev/null
	wait 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'echo "soak: interrupted" >&2; exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "soak: needs root" >&2; exit 1; }
[ -x "$MEMLEAKD" ] || { echo "soak: $MEMLEAKD missing; run 'make'" >&2; exit 1; }

for i in $(seq 1 "$DISTINCT"); do
	cp /bin/ls "$WORK/ls$i"
done

churn() { # writes the number of processes started to $WORK/count
	local n=0 i
	while :; do
		ls /usr/lib >/dev/null
		sort </etc/services >/dev/null
		sqlite3 :memory: 'create table t(x); insert into t values(1); select * from t;' >/dev/null
		n=$((n + 3))
		if [ "$DISTINCT" -gt 0 ]; then
			i=$((n / 3 % DISTINCT + 1))
			"$WORK/ls$i" /usr >/dev/null
			n=$((n + 1))
		fi
		echo "$n" >"$WORK/count"
	done
}

rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }
metric() { # NAME-REGEX: the sum of a family's samples on the endpoint
	python3 - "$PORT" "$1" <<'PY' 2>/dev/null
import re, sys, urllib.request
try:
    text = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=2).read().decode()
except Exception:
    print("-"); sys.exit()
total = sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
            if l and not l.startswith("#") and re.match(sys.argv[2], l))
print(int(total))
PY
}

"$MEMLEAKD" -i 2 --metrics "127.0.0.1:$PORT" >"$WORK/report" 2>"$WORK/err" &
mleak=$!
for _ in $(seq 1 100); do
	grep -q "ready" "$WORK/err" && break
	sleep 0.2
done
grep -q "ready" "$WORK/err" || { echo "soak: memleakd did not start:"; cat "$WORK/err"; exit 1; }
churn &
printf '%8s %10s %10s %12s %12s\n' "time s" "RSS KiB" "processes" "tally cuts" "tracked"
first_rss="" first_n=""
start=$SECONDS
while [ $((SECONDS - start)) -lt "$SECONDS_TOTAL" ]; do
	sleep 10
	kill -0 "$mleak" 2>/dev/null || { echo "soak: memleakd died:"; tail "$WORK/err"; exit 1; }
	rss=$(rss_kib "$mleak")
	n=$(cat "$WORK/count" 2>/dev/null || echo 0)
	printf '%8d %10s %10s %12s %12s\n' $((SECONDS - start)) "$rss" "$n" \
		"$(metric 'memleakd_evictions_total')" "$(metric 'memleakd_tracked_processes')"
	# Warm-up: the first 30 s (libraries' tables, the first exits).
	if [ -z "$first_rss" ] && [ $((SECONDS - start)) -ge 30 ]; then
		first_rss=$rss first_n=$n
	fi
done
kill -INT "$mleak"
wait "$mleak"
if [ -n "$first_rss" ] && [ "$n" -gt "$first_n" ]; then
	echo "RSS from ${first_rss} KiB to ${rss} KiB over $((n - first_n)) processes:" \
		"$(((rss - first_rss) * 1000 / (n - first_n))) KiB per 1,000 processes"
fi
