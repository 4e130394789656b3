# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# --metrics: the Prometheus endpoint on a traced leaker; scraped with
# python3's urllib (no curl needed), checked with promtool. Hostile
# clients, an address in use, IPv6, valgrind.
# Sourced by tests/integration/run.sh, after lib.sh.

# http_get METHOD URL OUT: the body into OUT; prints "STATUS CONTENT-TYPE"
# ("ERR why" when there was no HTTP answer). No proxy, 5 s timeout.
http_get() {
	python3 - "$@" <<'PY'
import sys, urllib.request, urllib.error
method, url, out = sys.argv[1:4]
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
try:
    r = opener.open(urllib.request.Request(url, method=method), timeout=5)
    status, ctype, body = r.status, r.headers.get("Content-Type", ""), r.read()
except urllib.error.HTTPError as e:
    status, ctype, body = e.code, e.headers.get("Content-Type", ""), e.read()
except Exception as e:
    print("ERR", e)
    sys.exit(0)
open(out, "wb").write(body)
print(status, ctype)
PY
}

# metric_value FILE PREFIX: the value of the first sample line starting with PREFIX.
metric_value() {
	awk -v p="$2" 'index($0, p) == 1 { print $NF; exit }' "$1"
}

# promtool_clean FILE: promtool check metrics says nothing and exits 0.
promtool_clean() {
	local said
	command -v promtool >/dev/null || fail "promtool is not installed (tools/install-deps.sh installs prometheus)"
	said=$(promtool check metrics <"$1" 2>&1) || fail "promtool check metrics failed:" "$said" "$(head -c 3000 "$1")"
	[ -z "$said" ] || fail "promtool check metrics warned:" "$said"
}

# start_metrics HOST ARGS...: memleakd ARGS --metrics HOST:PORT on a free
# port (a clash is retried on another); sets METRICS_URL (and ML_*).
start_metrics() {
	local host=$1 port try bracket
	shift
	[[ $host == *:* ]] && bracket="[$host]" || bracket=$host
	for try in 1 2 3 4 5; do
		port=$((19464 + RANDOM % 1000))
		ML_OUT="$WORK/ml.$RANDOM.out"
		ML_ERR="$WORK/ml.$RANDOM.err"
		${ML_WRAPPER:-} "$MEMLEAKD" "$@" --metrics "$bracket:$port" >"$ML_OUT" 2>"$ML_ERR" &
		ML_PID=$!
		track_pid "$ML_PID"
		if wait_for "$ML_ERR" '^memleakd: ready|Address already in use' 90 &&
			grep -q 'Address already in use' "$ML_ERR"; then
			wait "$ML_PID"
			continue
		fi
		grep -q '^memleakd: ready' "$ML_ERR" ||
			fail "memleakd did not get ready; stderr:" "$(sed 's/^/    /' "$ML_ERR")"
		METRICS_URL="http://$bracket:$port"
		return 0
	done
	fail "no free port in 5 tries"
}

# wait_scrape OUT AWK-PROGRAM [SECONDS]: scrapes until the program exits 0 on
# the body; the program sees $SERIES as s and $MIN as min.
wait_scrape() {
	local out=$1 cond=$2 limit=${3:-20} end=$((SECONDS + ${3:-20}))
	while [ $SECONDS -lt $end ]; do
		http_get GET "$METRICS_URL/metrics" "$out" >/dev/null
		[ -s "$out" ] && awk -v s="${SERIES:-}" -v min="${MIN:-0}" "$cond" "$out" && return 0
		sleep 0.2
	done
	return 1
}

# The leak's stack as one series: caller is the leaker's allocating
# function, exe its path, bytes growing between two scrapes; the whole
# text passes promtool; the HTTP surface (content type, /, 404, 405).
test_metrics_endpoint() {
	local got s1="$WORK/s1.txt" s2="$WORK/s2.txt" exe b1 b2 series
	start_fixture leaker malloc 20000
	exe=$(readlink "/proc/$FIXTURE_PID/exe")
	start_metrics 127.0.0.1 -p "$FIXTURE_PID" -i 1 -v
	grep -q "^memleakd: metrics: serving $METRICS_URL/metrics" "$ML_ERR" ||
		fail "no 'metrics: serving' line with -v:" "$(cat "$ML_ERR")"
	got=$(http_get GET "$METRICS_URL/metrics" "$s1")
	expect_eq "GET /metrics" "200 text/plain; version=0.0.4; charset=utf-8" "$got"
	grep -q '^memleakd_build_info{version="' "$s1" || fail "no build_info:" "$(cat "$s1")"
	got=$(http_get HEAD "$METRICS_URL/metrics" "$WORK/head")
	expect_eq "HEAD /metrics" "200 text/plain; version=0.0.4; charset=utf-8" "$got"
	[ ! -s "$WORK/head" ] || fail "HEAD returned a body"
	got=$(http_get GET "$METRICS_URL/" "$WORK/index")
	expect_eq "GET /" 200 "${got%% *}"
	grep -q "/metrics" "$WORK/index" || fail "/ does not point at /metrics:" "$(cat "$WORK/index")"
	got=$(http_get GET "$METRICS_URL/nope" "$WORK/404")
	expect_eq "GET /nope" 404 "${got%% *}"
	got=$(http_get POST "$METRICS_URL/metrics" "$WORK/405")
	expect_eq "POST /metrics" 405 "${got%% *}"

	kill -USR1 "$FIXTURE_PID"
	SERIES="memleakd_stack_outstanding_bytes{exe=\"$exe\",process=\"leaker\",kind=\"malloc\","
	wait_scrape "$s1" 'index($0, s) == 1 && /caller="allocate"/ { f = 1 } END { exit !f }' ||
		fail "no stack series '$SERIES...caller=\"allocate\"}':" "$(grep -v '^#' "$s1")"
	b1=$(metric_value "$s1" "$SERIES")
	MIN=$b1 wait_scrape "$s2" 'index($0, s) == 1 && $NF > min + 0 { f = 1 } END { exit !f }' ||
		fail "the leak's bytes did not grow past $b1:" "$(grep -v '^#' "$s2")"
	b2=$(metric_value "$s2" "$SERIES")
	echo "# leak series: $b1 B, then $b2 B"
	grep -q "^memleakd_process_outstanding_bytes{pid=\"$FIXTURE_PID\",process=\"leaker\",exe=\"$exe\",kind=\"malloc\"} " "$s2" ||
		fail "no per-process series:" "$(grep -v '^#' "$s2")"
	grep -Eq '^memleakd_stack_growing\{.*caller="allocate"\} 1$' "$s2" ||
		grep -Eq '^memleakd_stack_growth_bytes_per_second\{.*caller="allocate"\} [1-9]' "$s2" ||
		fail "the leak is neither growing nor has a growth rate:" "$(grep -v '^#' "$s2")"
	promtool_clean "$s2"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
}

# Clients that send half a request and hang: from three source addresses,
# more connections than the per-address limit. Tracing goes on (a report
# each interval), a scrape from another address still answers, and the
# server drops the idle ones after its timeout.
test_metrics_hostile_clients() {
	local hang="$WORK/hang.log" before after got n
	start_fixture leaker malloc 20000
	start_metrics 127.0.0.1 -p "$FIXTURE_PID" -i 1
	kill -USR1 "$FIXTURE_PID"
	wait_scrape "$WORK/scrape" '/^memleakd_stack_outstanding_bytes[{]/ { f = 1 } END { exit !f }' ||
		fail "no stack in a scrape:" "$(cat "$WORK/scrape")"
	python3 - "${METRICS_URL#http://}" "$hang" <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
log = open(sys.argv[2], "w", buffering=1)
socks = []
for src in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
    for i in range(12):
        s = socket.socket()
        s.bind((src, 0))
        try:
            s.connect((host, int(port)))
            s.sendall(b"GET /metr")
            socks.append(s)
        except OSError:
            s.close()
log.write("open %d\n" % len(socks))
start = time.time()
closed = hung = 0
for s in socks:
    s.settimeout(max(0.1, 12 - (time.time() - start)))
    try:
        while s.recv(4096):
            pass
        closed += 1
    except socket.timeout:
        hung += 1
    except OSError:
        closed += 1  # reset: refused past a limit
log.write("closed %d hung %d after %.0f s\n" % (closed, hung, time.time() - start))
PY
	track_pid $!
	wait_for "$hang" '^open' 10 || fail "the hanging clients did not connect"
	wait_scrape "$WORK/scrape" '/^memleakd_stack_outstanding_bytes[{]/ { f = 1 } END { exit !f }' ||
		fail "no stack in a scrape beside hanging clients:" "$(cat "$WORK/scrape")"
	before=$(grep -c '^== memleakd interval report' "$ML_OUT")
	sleep 3
	after=$(grep -c '^== memleakd interval report' "$ML_OUT")
	[ "$after" -ge $((before + 2)) ] || fail "reports stalled beside hanging clients: $before, then $after in 3 s"
	wait_for "$hang" '^closed' 15 || fail "the idle connections were not dropped:" "$(cat "$hang")"
	n=$(awk '/^closed/ {print $4}' "$hang")
	[ "$n" = 0 ] || fail "idle connections still open 12 s on (the timeout is 5 s):" "$(cat "$hang")"
	echo "# $(cat "$hang" | tr '\n' ' ')"
	got=$(http_get GET "$METRICS_URL/metrics" "$WORK/scrape")
	expect_eq "scrape after" 200 "${got%% *}"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
}

# An address in use: the clear one-line error and the output exit status,
# before anything is attached; a host that is no numeric address likewise.
test_metrics_address_in_use() {
	local port holder
	start_fixture leaker malloc 10
	port=$((20464 + RANDOM % 1000))
	python3 -c "import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', $port)); s.listen(1); print('listening', flush=True); time.sleep(60)" >"$WORK/holder" 2>&1 &
	holder=$!
	track_pid "$holder"
	wait_for "$WORK/holder" '^listening' 10 || fail "could not hold port $port:" "$(cat "$WORK/holder")"
	expect_error 6 "^memleakd: error: cannot serve metrics on 127.0.0.1:$port: Address already in use; choose another port with --metrics$" \
		-p "$FIXTURE_PID" --metrics "$port"
	expect_error 2 "invalid --metrics 'localhost:$port': give \[ADDR:\]PORT with a numeric address" \
		-p "$FIXTURE_PID" --metrics "localhost:$port"
	# expect_error saw a one-line stderr: memleakd stopped before loading or attaching anything.
}

# IPv6 loopback, given as [::1]:PORT.
test_metrics_ipv6() {
	local got
	[ -e /proc/net/if_inet6 ] || fail "no IPv6 on this host"
	start_fixture leaker malloc 100
	start_metrics ::1 -p "$FIXTURE_PID" -i 1
	got=$(http_get GET "$METRICS_URL/metrics" "$WORK/v6")
	expect_eq "GET [::1] /metrics" "200 text/plain; version=0.0.4; charset=utf-8" "$got"
	grep -q '^memleakd_build_info' "$WORK/v6" || fail "no build_info over IPv6:" "$(cat "$WORK/v6")"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
}

# The daemon with --metrics and a scrape is clean under valgrind.
test_metrics_valgrind() {
	command -v valgrind >/dev/null || fail "valgrind not installed"
	start_fixture leaker malloc 100
	kill -USR1 "$FIXTURE_PID"
	ML_WRAPPER="valgrind --quiet --suppressions=tests/valgrind.supp --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=99" \
		start_metrics 127.0.0.1 -p "$FIXTURE_PID" -i 1
	wait_scrape "$WORK/vg.txt" '/^memleakd_snapshot_timestamp_seconds / { f = 1 } END { exit !f }' 60 ||
		fail "no snapshot served under valgrind:" "$(cat "$WORK/vg.txt")"
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 90 || fail "memleakd under valgrind did not exit"
	expect_eq "valgrind: exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
}
