# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Files a traced process controls, turned against memleakd (security audit
# 2026-12-01). Sourced by tests/integration/run.sh, after lib.sh.

# Finding 3: the target truncates a library memleakd read the DWARF of
# (a library's owner may, while it is mapped). libdw used to read it from a
# mapping at every report: the next report after the truncation killed
# memleakd with SIGBUS. It now reads the DWARF into memory at load, so the
# reports go on, file:line included.
test_truncated_library() {
	local lib="$WORK/libtrunc.so" json="$WORK/trunc.json" reports
	cp "$FIX/libleaklib.so" "$lib" || fail "cannot copy $FIX/libleaklib.so to $lib"
	start_fixture dlopener "$lib" 50 1.5
	start_memleakd -p "$FIXTURE_PID" -i 1 --json "$json"
	kill -USR1 "$FIXTURE_PID"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "fixture did not leak:" "$(cat "$FIXTURE_OUT")"
	wait_for "$json" '"leaklib.c"|leaklib\.c' 10 ||
		fail "no report gave leaklib.c lines before the truncation:" "$(tail -c 2000 "$json")"
	: >"$lib" # truncated to 0 bytes; the fixture keeps it mapped and never calls it again
	reports=$(wc -l <"$json")
	wait_for_lines "$json" $((reports + 3)) 15
	if ! kill -0 "$ML_PID" 2>/dev/null; then
		wait "$ML_PID"
		fail "memleakd died after the truncation (exit status $?):" "$(tail -5 "$ML_ERR")"
	fi
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	[ "$EXIT_CODE" -lt 128 ] || fail "memleakd was killed by signal $((EXIT_CODE - 128))"
	tail -1 "$json" | grep -q 'leaklib\.c' ||
		fail "the final report lost leaklib.c's lines:" "$(tail -c 2000 "$json")"
}

# wait_for_lines FILE N SECONDS: until FILE has N lines (or the time is up).
wait_for_lines() {
	local file=$1 want=$2 limit=$3 i
	for ((i = 0; i < limit * 20; i++)); do
		[ "$(wc -l <"$file")" -ge "$want" ] && return 0
		sleep 0.05
	done
	return 1
}
