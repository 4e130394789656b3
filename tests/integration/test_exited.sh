# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Exited processes keep their story: what a process held when it exited
# goes to its executable's "left at exit" tally, per stack, and a stack
# every recycled worker of a prefork server leaks on is flagged growing.
# Sourced by tests/integration/run.sh, after lib.sh.

# per_worker_bytes: the "worker PID leaked N" amount of the prefork fixture's output.
per_worker_bytes() {
	awk '/^worker/ {print $4; exit}' "$FIXTURE_OUT"
}

# The final report's tally section.
exited_section() {
	sed -n '/final report/,$p' "$ML_OUT" | sed -n '/^Left at exit by exited processes/,/^SUMMARY/p'
}

# -f -p PARENT: 30 workers of 20 requests each leak 1000 bytes per request
# on remember_session, and exit. The report's tally names that stack with
# exactly workers x 20000 bytes, flagged GROWING; the parent's cache (a
# plateau) is not flagged, live or at exit.
test_exited_prefork() {
	local json="$WORK/prefork.json" prof="$WORK/prefork.pb.gz" per_worker leak_line workers top
	command -v go >/dev/null || fail "go not installed (tools/install-deps.sh: golang-go)"
	start_fixture prefork 30 20 1000 3 50
	start_memleakd -v -f -p "$FIXTURE_PID" -i 1 -d 40 --json "$json" --pprof "$prof"
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^done' 40 || fail "prefork did not finish:" "$(tail -5 "$FIXTURE_OUT")"
	wait_exit "$ML_PID" 20 || fail "memleakd still runs after its -p target exited"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(tail -5 "$ML_ERR")"
	per_worker=$(per_worker_bytes)
	workers=$(grep -c '^worker' "$FIXTURE_OUT")
	expect_eq "per-worker leak" 20000 "$per_worker"
	# The workers; not the parent: the last -p target is the final report's own subject.
	exited_section | grep -q "^Left at exit by exited processes ($workers processes so far)" ||
		fail "no tally section for $workers workers:" "$(exited_section)"
	# The entry whose frames follow its header line: remember_session's.
	leak_line=$(exited_section | grep -B3 -m1 "remember_session+" | grep -E '^exited #[0-9]+ ')
	echo "$leak_line" | grep -Eq "\($((workers * per_worker)) B\) in $((workers * 20)) allocations, $workers processes of .*prefork \(last prefork" ||
		fail "remember_session's entry: expected $((workers * per_worker)) B from $workers processes:" "$(exited_section)"
	exited_section | grep -A1 -F "$leak_line" | grep -q "GROWING" ||
		fail "remember_session's entry is not flagged GROWING:" "$(exited_section)"
	# The growth line right above a stack's first frame: the cache's, live (the parent's, not in the tally).
	[ "$(sed -n '/final report/,$p' "$ML_OUT" | grep -B1 "^        cache_store+" | grep -c "growth")" = 1 ] ||
		fail "the cache is not live once in the final report:" "$(sed -n '/final report/,$p' "$ML_OUT")"
	! sed -n '/final report/,$p' "$ML_OUT" | grep -B1 "^        cache_store+" | grep -q "GROWING" ||
		fail "the parent's cache is flagged growing:" "$(sed -n '/final report/,$p' "$ML_OUT")"
	python3 tests/integration/exited_check.py "$json" leak "$per_worker" ||
		fail "JSON tally wrong"
	# --pprof X.pb.gz: the tally in X.exited.pb.gz, read by the real go tool pprof.
	top=$(HOME=$WORK GOCACHE=$WORK/go-cache GOTOOLCHAIN=local go tool pprof -top -unit=B \
		-sample_index=left_space "${prof%.pb.gz}.exited.pb.gz" 2>&1)
	grep -Eq "^ +$((workers * per_worker))B .* remember_session$" <<<"$top" ||
		fail "pprof -top of the exited profile lacks remember_session's $((workers * per_worker))B:" "$top"
	top=$(HOME=$WORK GOCACHE=$WORK/go-cache GOTOOLCHAIN=local go tool pprof -raw \
		"${prof%.pb.gz}.exited.pb.gz" 2>&1)
	grep -Eq "growing:\[true\].*stack_id:\[[0-9a-f]{16}\]" <<<"$top" &&
		grep -q "processes:\[$workers\]" <<<"$top" ||
		fail "pprof -raw of the exited profile lacks the labels:" "$top"
	grep -Eq "pid [0-9]+ exited: 1 stacks, 20000 bytes left, added to the tally of .*prefork in [0-9.]+ ms" "$ML_ERR" ||
		fail "no -v line per exit:" "$(grep exited "$ML_ERR" | head -5)"
}

# --max-exited-stacks 2 and workers leaking on 4 stacks: entries are
# evicted, counted in the JSON losses and in the report's loss lines.
test_exited_cap() {
	local json="$WORK/cap.json"
	start_fixture prefork 6 8 1000 3 20 4
	start_memleakd -f -p "$FIXTURE_PID" -i 1 -d 30 --max-exited-stacks 2 --json "$json"
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^done' 30 || fail "prefork did not finish:" "$(tail -5 "$FIXTURE_OUT")"
	wait_exit "$ML_PID" 20 || fail "memleakd still runs after its -p target exited"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(tail -5 "$ML_ERR")"
	python3 tests/integration/exited_check.py "$json" evicted || fail "no eviction in the JSON"
	sed -n '/final report/,$p' "$ML_OUT" |
		grep -Eq "^lost to the left-at-exit tally: [1-9][0-9]* entries evicted \(past --max-exited-stacks\)" ||
		fail "no eviction line in the report:" "$(sed -n '/final report/,$p' "$ML_OUT" | head -12)"
}

# System-wide with --comm prefork: the workers (never -p targets) are
# tallied all the same, under their executable. Exact when no record was
# lost; on a busy machine system-wide tracing drops records (counted), and
# then only the entry itself is checked.
test_exited_system_wide() {
	local json="$WORK/sw.json" per_worker workers
	start_memleakd -i 1 --comm prefork --json "$json"
	start_fixture prefork 24 20 1000 3 50
	sleep 0.3
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^done' 40 || fail "prefork did not finish:" "$(tail -5 "$FIXTURE_OUT")"
	sleep 1.5
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT:" "$(stuck_report "$ML_PID" "$ML_ERR")"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(tail -5 "$ML_ERR")"
	per_worker=$(per_worker_bytes)
	workers=$(grep -c '^worker' "$FIXTURE_OUT")
	python3 tests/integration/exited_check.py "$json" leak "$per_worker" lossy-ok ||
		fail "JSON tally wrong"
	python3 tests/integration/exited_check.py "$json" leak "$per_worker" lossy-ok |
		grep -q "not checked exactly" && return 0
	exited_section | grep -B3 -m1 "remember_session+" |
		grep -Eq "\($((workers * per_worker)) B\) .*, $workers processes of .*prefork" ||
		fail "remember_session's entry: expected $((workers * per_worker)) B from $workers processes:" "$(exited_section)"
}
