# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Go services (issue 13): goroutines by creation site and the Go heap by
# allocation stack, on the Go fixtures of tests/fixtures/go (built by
# tests/fixtures/go.mk with Go 1.19 and 1.23; plain, stripped, PIE).
# tests/integration/go_check.py reads the JSON lines, the fixtures' ground
# truth (their own runtime.NumGoroutine(), their own heap profile read by
# go tool pprof) and the kernel's uprobes.
# Sourced by tests/integration/run.sh, after lib.sh.

GO_RATE=20 # goroutines per second gleak leaks (and starts short-lived)
# How far memleakd's count may be from the program's at the same second:
# what the program creates in 0.2 s, plus two in flight.
GO_SLACK=$((GO_RATE / 5 + 2))

gocheck() { python3 tests/integration/go_check.py "$@"; }
gopprof() { HOME=$WORK GOCACHE=$WORK/go-cache GOTOOLCHAIN=local go tool pprof "$@" 2>&1; }

# start_go NAME ARGS...: start_fixture for $FIX/go/NAME (prints "ready PID").
start_go() {
	mkdir -p "$WORK/go"
	start_fixture "go/$@"
}

# start_gos BIN [ARGS...] [-- BIN [ARGS...]]...: start_go for each program, to
# be traced by one memleakd run (CI time: one run checks several programs,
# each by its own pid); sets GO_PIDS, and GO_PID_OF[BIN] and GO_OUT_OF[BIN].
declare -A GO_PID_OF GO_OUT_OF
start_gos() {
	local spec=()
	GO_PIDS=()
	while [ $# -gt 0 ]; do
		spec=()
		while [ $# -gt 0 ] && [ "$1" != -- ]; do
			spec+=("$1")
			shift
		done
		[ $# -gt 0 ] && shift
		start_go "${spec[@]}"
		GO_PID_OF[${spec[0]}]=$FIXTURE_PID
		GO_OUT_OF[${spec[0]}]=$FIXTURE_OUT
		GO_PIDS+=("$FIXTURE_PID")
	done
}

# The shared run: one memleakd run of 10 s traces the programs of the tests
# that need nothing else of it (CI time: five runs of 6 to 10 s before),
# each test checks its own program by its pid. The first test to need it
# makes it; it writes GO_SHARED_JSON, and WORK/goshared-BIN.pid and .out.
GO_SHARED_JSON="$WORK/goshared.json"
GO_SHARED_FAILED="$WORK/goshared.failed"

run_go_shared() {
	local bin
	[ -e "$GO_SHARED_FAILED" ] && fail "the shared Go run failed:" "$(cat "$GO_SHARED_FAILED")"
	[ -s "$GO_SHARED_JSON" ] && return 0
	start_gos gleak-1.19 -pre 100 -rate "$GO_RATE" -- gpool-1.19 -- giter-1.23 -- gcgo-1.19
	# GOGC=off for gheap-1.19 (test_go_heap_gogc_off) only.
	export GOGC=off
	start_go gheap-1.19
	unset GOGC
	GO_PID_OF[gheap-1.19]=$FIXTURE_PID
	GO_OUT_OF[gheap-1.19]=$FIXTURE_OUT
	GO_PIDS+=("$FIXTURE_PID")
	# Not failing here: a test that fails leaves the reason for the next ones.
	trace_go 10 >"$GO_SHARED_FAILED" 2>&1 || return 1
	rm -f "$GO_SHARED_FAILED"
	for bin in "${!GO_PID_OF[@]}"; do
		echo "${GO_PID_OF[$bin]}" >"$WORK/goshared-${bin##*/}.pid"
		echo "${GO_OUT_OF[$bin]}" >"$WORK/goshared-${bin##*/}.out"
	done
	kill -KILL "${GO_PIDS[@]}"
	mv "$GO_JSON" "$GO_SHARED_JSON"
}

# go_shared BIN: the shared run made; FIXTURE_PID, FIXTURE_OUT and GO_JSON are BIN's.
go_shared() {
	(run_go_shared) || fail "the shared Go run failed:" "$(cat "$GO_SHARED_FAILED")"
	FIXTURE_PID=$(cat "$WORK/goshared-$1.pid")
	FIXTURE_OUT=$(cat "$WORK/goshared-$1.out")
	GO_JSON=$GO_SHARED_JSON
}

# go_target BIN: the checks that read FIXTURE_PID and FIXTURE_OUT look at BIN (of start_gos).
go_target() {
	FIXTURE_PID=${GO_PID_OF[$1]}
	FIXTURE_OUT=${GO_OUT_OF[$1]}
}

# trace_go SECONDS ARGS...: memleakd -p FIXTURE_PID (or -p each of GO_PIDS,
# when start_gos set it) -i 1 -d SECONDS --json GO_JSON ARGS, to its end; it
# must trace the Go programs (no malloc refusal).
trace_go() {
	local seconds=$1 pid targets=()
	shift
	for pid in "${GO_PIDS[@]:-$FIXTURE_PID}"; do
		targets+=(-p "$pid")
	done
	GO_JSON="$WORK/go.$RANDOM.json"
	start_memleakd "${targets[@]}" -i 1 -d "$seconds" -n 1000 --json "$GO_JSON" "$@"
	wait_exit "$ML_PID" $((seconds + 30)) || fail "memleakd did not stop after -d $seconds"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	! grep -q "maps no object that defines malloc" "$ML_ERR" || fail "Go target refused:" "$(cat "$ML_ERR")"
	[ -s "$GO_JSON" ] || fail "no JSON written:" "$(cat "$ML_ERR")"
}

# expect_leak_site BINARY: after trace_go on gleak, main.leakOne's site grows
# at GO_RATE/s (±25%), main.shortLived's does not; prints the site's numbers.
expect_leak_site() {
	local live created exited growing rate
	read -r live created exited growing rate <<<"$(gocheck site "$GO_JSON" "$FIXTURE_PID" main.leakOne)"
	[ "$growing" = true ] || fail "$1: main.leakOne not flagged growing (live $live, created $created):" \
		"$(gocheck sites "$GO_JSON" "$FIXTURE_PID" goroutine | tail -20)"
	awk -v r="$rate" -v want="$GO_RATE" 'BEGIN { exit !(r >= want * 0.75 && r <= want * 1.25) }' ||
		fail "$1: main.leakOne grows at $rate/s, want $GO_RATE/s ±25%"
	read -r _ _ _ growing _ <<<"$(gocheck site "$GO_JSON" "$FIXTURE_PID" main.shortLived)"
	[ "$growing" = false ] || fail "$1: main.shortLived flagged growing"
	GO_SITE_LIVE=$live
	GO_SITE_RATE=$rate
}

# No stack of KIND of the fixture is ever flagged growing.
expect_none_growing() {
	local kind=$1 flagged
	flagged=$(gocheck sites "$GO_JSON" "$FIXTURE_PID" "$kind" | awk '$3 == "true"')
	[ -z "$flagged" ] || fail "$kind stacks flagged growing (seq site growing):" "$flagged"
}

# 20 goroutines/s leaked from one go statement beside 20/s short-lived, 100
# of them before attach: the go statement's site (main.leakOne, first frame
# outside the runtime) grows at 20/s, counts them all (before_attach), and
# the user total is the program's own runtime.NumGoroutine().
test_go_goroutine_leak_site() {
	local before missed
	go_shared gleak-1.19
	expect_leak_site gleak-1.19
	[ "$GO_SITE_LIVE" -ge $((100 + GO_RATE * 5)) ] || fail "main.leakOne live $GO_SITE_LIVE, want >= $((100 + GO_RATE * 5))"
	# The 100 born before attach: main.leakOne's stacks marked before_attach.
	before=$(jq -s "[.[] | select(.final | not)] | last | [.stacks[] | select(.pid == $FIXTURE_PID and .kind == \"goroutine\") |
		select(.go.before_attach == true) |
		select([.frames[] | (.symbol // \"\") | select(startswith(\"runtime.\") | not)][0] == \"main.leakOne\") | .live] | add // 0" "$GO_JSON")
	[ "$before" -ge 100 ] 2>/dev/null || fail "main.leakOne: $before live goroutines born before attach, want >= 100"
	gocheck census "$GO_JSON" "$FIXTURE_PID" "$FIXTURE_OUT" "$GO_SLACK" >"$WORK/census" ||
		fail "goroutine totals disagree:" "$(cat "$WORK/census")"
	[ -z "$(gocheck negatives "$GO_JSON" "$FIXTURE_PID")" ] ||
		fail "inconsistent goroutine stacks:" "$(gocheck negatives "$GO_JSON" "$FIXTURE_PID")"
	missed=$(tail -1 "$GO_JSON" | jq '.losses | [.go_creates_missed, .go_exits_missed, .go_exits_unseen_birth] | map(tostring) | join(" ")')
	[[ $missed =~ ^\"[0-9]+\ [0-9]+\ [0-9]+\"$ ]] || fail "losses lack the Go counters: $missed"
	[ "$(gocheck target "$GO_JSON" "$FIXTURE_PID" version)" != "" ] || fail "targets[].go.version missing"
	echo "# gleak-1.19: main.leakOne live $GO_SITE_LIVE ($before before attach) at $GO_SITE_RATE/s; $(cat "$WORK/census"); losses $missed"
}

# The same site and file:line on both toolchains, stripped (-s -w: only
# .gopclntab names them) and PIE.
test_go_leak_variants() {
	local bin where first=""
	# gleak-1.19 is go_goroutine_leak_site's; these three cover the other
	# toolchain, a stripped and a PIE build, traced by one memleakd run
	# (CI time: each run is ~10 s).
	start_gos gleak-1.23 -rate "$GO_RATE" -- gleak-1.19-stripped -rate "$GO_RATE" -- \
		gleak-1.23-pie -rate "$GO_RATE"
	trace_go 8
	for bin in gleak-1.23 gleak-1.19-stripped gleak-1.23-pie; do
		go_target "$bin"
		expect_leak_site "$bin"
		where=$(gocheck frame "$GO_JSON" "$FIXTURE_PID" goroutine main.leakOne)
		[[ $where == */gleak.go:[0-9]* ]] || fail "$bin: main.leakOne at '$where', want .../gleak.go:LINE"
		[ -z "$first" ] && first=$where
		expect_eq "$bin: main.leakOne's file:line" "$first" "$where"
		echo "# $bin: main.leakOne ($where) at $GO_SITE_RATE/s"
	done
}

# A bounded worker pool and a ticker goroutine: flat, never flagged; totals exact.
test_go_pool_not_flagged() {
	go_shared gpool-1.19
	expect_none_growing goroutine
	gocheck census "$GO_JSON" "$FIXTURE_PID" "$FIXTURE_OUT" 2 >"$WORK/census" ||
		fail "goroutine totals disagree:" "$(cat "$WORK/census")"
}

# Goroutines that end by return, Goexit, recover then return, LockOSThread
# then exit, and time.AfterFunc: net 0, nothing negative, nothing growing.
# Both toolchains' builds in one memleakd run.
test_go_exit_paths() {
	local v
	start_gos gexits-1.19 -- gexits-1.23
	trace_go 8
	for v in 1.19 1.23; do
		go_target gexits-$v
		expect_none_growing goroutine
		[ -z "$(gocheck negatives "$GO_JSON" "$FIXTURE_PID")" ] ||
			fail "gexits-$v: inconsistent goroutine stacks:" "$(gocheck negatives "$GO_JSON" "$FIXTURE_PID")"
		# Five in flight at most per round.
		gocheck census "$GO_JSON" "$FIXTURE_PID" "$FIXTURE_OUT" 6 >"$WORK/census" ||
			fail "gexits-$v: goroutine totals disagree:" "$(cat "$WORK/census")"
	done
}

# iter.Pull (Go 1.23) runs each sequence in a coroutine: created == exited
# + the one giter keeps open for its site, nothing negative, nothing growing.
test_go_iter_pull() {
	local busiest created exited
	go_shared giter-1.23
	expect_none_growing goroutine
	[ -z "$(gocheck negatives "$GO_JSON" "$FIXTURE_PID")" ] ||
		fail "inconsistent goroutine stacks:" "$(gocheck negatives "$GO_JSON" "$FIXTURE_PID")"
	# The site that created the most (the coroutines: 50/s): created - exited = the 1 (or 2) open.
	busiest=$(jq -s -r "[.[] | select(.final | not)] | last | [.stacks[] | select(.pid == $FIXTURE_PID and .kind == \"goroutine\")]
		| max_by(.created) | \"\(.created) \(.exited)\"" "$GO_JSON")
	read -r created exited <<<"$busiest"
	[ "${created:-0}" -ge 100 ] 2>/dev/null || fail "no site created >= 100 coroutines (busiest: $busiest)"
	[ $((created - exited)) -ge 1 ] && [ $((created - exited)) -le 2 ] ||
		fail "coroutine site: created $created, exited $exited"
	echo "# iter.Pull: created $created, exited $exited"
}

# heap_dump_run BINARY... : the gheap builds run, one memleakd -i 1 traces
# them all, SIGUSR1 makes each GC and write its own heap profile, then stay
# still 5 s; memleakd stops after. Sets GO_JSON, and per BINARY GO_RAW_OF,
# DUMP_NS_OF, RESUME_NS_OF (and GO_PID_OF, GO_OUT_OF).
declare -A GO_RAW_OF DUMP_NS_OF RESUME_NS_OF
heap_dump_run() {
	local bin spec=() targets=()
	for bin in "$@"; do
		spec+=(${spec[0]:+--} "$bin" -profile "$WORK/$bin.pprof" -pause 5s)
	done
	start_gos "${spec[@]}"
	for bin in "$@"; do
		targets+=(-p "${GO_PID_OF[$bin]}")
	done
	GO_JSON="$WORK/heap.$RANDOM.json"
	start_memleakd "${targets[@]}" -i 1 -n 1000 --json "$GO_JSON"
	sleep 4
	kill -USR1 "${GO_PIDS[@]}"
	for bin in "$@"; do
		wait_for "${GO_OUT_OF[$bin]}" '^RESUMED' 20 || fail "$bin did not dump and resume:" "$(cat "${GO_OUT_OF[$bin]}")"
	done
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	for bin in "$@"; do
		DUMP_NS_OF[$bin]=$(awk '/^DUMPED/ {print $2}' "${GO_OUT_OF[$bin]}")
		RESUME_NS_OF[$bin]=$(awk '/^RESUMED/ {print $2}' "${GO_OUT_OF[$bin]}")
		GO_RAW_OF[$bin]="$WORK/$bin.raw"
		gopprof -raw "$WORK/$bin.pprof" >"${GO_RAW_OF[$bin]}" ||
			fail "$bin: go tool pprof -raw failed:" "$(cat "${GO_RAW_OF[$bin]}")"
	done
}

# expect_heap_matches BINARY: the go-heap numbers memleakd read during the
# pause equal the program's own heap profile, per stack and in total.
expect_heap_matches() {
	gocheck heap "$GO_JSON" "${GO_PID_OF[$1]}" "${GO_RAW_OF[$1]}" "${DUMP_NS_OF[$1]}" \
		"${RESUME_NS_OF[$1]}" main.remember >"$WORK/heap" ||
		fail "$1: go-heap differs from pprof -raw:" "$(cat "$WORK/heap")"
	echo "# $1: $(cat "$WORK/heap")"
}

# A map leak (1 KiB × 1000/s): after the program's runtime.GC() and its own
# heap profile, memleakd's inuse_bytes/inuse_objects equal go tool pprof's
# exactly, for main.remember and in total. Both toolchains in one run.
test_go_heap_matches_pprof() {
	heap_dump_run gheap-1.19 gheap-1.23
	expect_heap_matches gheap-1.19
	expect_heap_matches gheap-1.23
}

# The same on stripped and PIE builds (the runtime's globals found without symbols).
test_go_heap_variants() {
	# One stripped (globals found in the code) and one PIE (load bias) build,
	# across both toolchains; test_gobin checks every variant's globals.
	heap_dump_run gheap-1.23-stripped gheap-1.19-pie
	expect_heap_matches gheap-1.23-stripped
	expect_heap_matches gheap-1.19-pie
}

# The map leak is flagged growing; the bounded cache is not.
test_go_heap_growth() {
	start_go gheap-1.19
	trace_go 12
	gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | grep -q ' main.remember true$' ||
		fail "main.remember's go-heap stack never flagged:" "$(gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | tail -20)"
	kill -KILL "$FIXTURE_PID"
	start_go gheap-1.19 -bounded
	# Attached once the cache is full (2000 entries, 2 s): from then on it is flat.
	wait_for "$FIXTURE_OUT" '^entries 2000 ' 10 || fail "the bounded cache did not fill:" "$(cat "$FIXTURE_OUT")"
	trace_go 12
	gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | grep -q ' main.remember ' ||
		fail "bounded cache: no main.remember go-heap stack"
	expect_none_growing go-heap
}

# A binary that never references runtime/pprof: the linker turned heap
# profiling off and the report says so; --go-heap-sampling turns the
# runtime's sampling on and the leak shows within ~15 s.
test_go_heap_profiling_off() {
	local i
	start_go gheap_noprof-1.19
	trace_go 3
	grep -q "heap profiling is off" "$ML_OUT" || fail "no 'heap profiling is off' in the report:" "$(cat "$ML_OUT")"
	# heap_off: why heap profiling is off (null when on).
	gocheck target "$GO_JSON" "$FIXTURE_PID" heap_off | grep -q "heap profiling is off" ||
		fail "targets[].go.heap_off: '$(gocheck target "$GO_JSON" "$FIXTURE_PID" heap_off)'"
	kill -KILL "$FIXTURE_PID"
	start_go gheap_noprof-1.19
	# Until the leak's go-heap stack shows and the program prints a nonzero
	# rate, 16 s at most (was -d 16: CI time).
	GO_JSON="$WORK/go.$RANDOM.json"
	start_memleakd -p "$FIXTURE_PID" -i 1 -n 1000 --json "$GO_JSON" --go-heap-sampling
	for ((i = 0; i < 16 * 4; i++)); do
		grep -Eq 'MemProfileRate [1-9]' "$FIXTURE_OUT" &&
			gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap 2>/dev/null | grep -q ' main.remember ' && break
		sleep 0.25
	done
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | grep -q ' main.remember ' ||
		fail "--go-heap-sampling: no main.remember go-heap stack:" "$(gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | tail)"
	awk '/MemProfileRate/ {r = $NF} END {exit !(r > 0)}' "$FIXTURE_OUT" ||
		fail "the program's MemProfileRate stayed 0:" "$(tail -3 "$FIXTURE_OUT")"
}

# GOGC=off: no GC ever completes, and the go-heap stacks are still reported
# (the runtime's pending cycles folded, as runtime.MemProfile does).
test_go_heap_gogc_off() {
	local bytes
	go_shared gheap-1.19
	bytes=$(jq -s "[.[] | select(.final | not)] | last | [.stacks[] | select(.pid == $FIXTURE_PID and .kind == \"go-heap\")
		| select([.frames[] | (.symbol // \"\") | select(startswith(\"runtime.\") | not)][0] == \"main.remember\") | .inuse_bytes] | add // 0" "$GO_JSON")
	[ "$bytes" -gt 0 ] 2>/dev/null || fail "GOGC=off: main.remember has '$bytes' B in use"
	echo "# GOGC=off: main.remember $bytes B in use (sampled estimate)"
}

# cgo: C.malloc from a C function in the preamble and a Go map, in one run.
test_go_cgo_both_kinds() {
	go_shared gcgo-1.19
	jq -e -s "[.[] | .stacks[] | select(.pid == $FIXTURE_PID and .kind == \"malloc\" and .outstanding_bytes > 0)
		| select(any(.frames[]; .symbol == \"cgo_leak\"))] | length > 0" "$GO_JSON" >/dev/null ||
		fail "no malloc stack through cgo_leak:" "$(jq -c -s '[.[] | .stacks[] | [.kind, .frames[0].symbol]] | unique' "$GO_JSON")"
	gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | grep -q ' main.remember ' ||
		fail "no go-heap stack from main.remember:" "$(gocheck sites "$GO_JSON" "$FIXTURE_PID" go-heap | tail)"
}

# 100,000 goroutines: all counted, and the census cost printed.
test_go_many_goroutines() {
	local n ms
	start_go gmany-1.19
	trace_go 5
	n=$(gocheck target "$GO_JSON" "$FIXTURE_PID" goroutines)
	ms=$(gocheck target "$GO_JSON" "$FIXTURE_PID" census_ms)
	[ "${n:-0}" -ge 100000 ] 2>/dev/null && [ "$n" -le 100005 ] || fail "goroutines '$n', want 100,000 + a few"
	[ -n "$ms" ] && [ "$ms" != null ] || fail "targets[].go.census_ms missing"
	echo "# 100,000 goroutines: census $ms ms"
}

# --pprof X.pb.gz: X.goroutine.pb.gz and X.go-heap.pb.gz, read by go tool
# pprof; -base between two runs' goroutine profiles shows the growth.
test_go_pprof_profiles() {
	local base="$WORK/gbase.pb.gz" now="$WORK/gnow.pb.gz" top
	start_go gleak-1.19 -rate "$GO_RATE"
	trace_go 3 --pprof "$base"
	trace_go 4 --pprof "$now"
	for f in "${base%.pb.gz}.goroutine.pb.gz" "${now%.pb.gz}.goroutine.pb.gz"; do
		[ -s "$f" ] || fail "no $f; files:" "$(ls "$WORK")"
	done
	top=$(gopprof -top "${now%.pb.gz}.goroutine.pb.gz")
	grep -q "main.leakOne" <<<"$top" || fail "main.leakOne not in the goroutine profile:" "$top"
	top=$(gopprof -top -base "${base%.pb.gz}.goroutine.pb.gz" "${now%.pb.gz}.goroutine.pb.gz")
	grep -Eq "^ +[1-9][0-9]* .*main.leakOne" <<<"$top" || fail "-base shows no growth at main.leakOne:" "$top"
	kill -KILL "$FIXTURE_PID"
	start_go gheap-1.19
	trace_go 4 --pprof "$now"
	[ -s "${now%.pb.gz}.go-heap.pb.gz" ] || fail "no ${now%.pb.gz}.go-heap.pb.gz; files:" "$(ls "$WORK")"
	top=$(gopprof -top "${now%.pb.gz}.go-heap.pb.gz")
	grep -q "main.remember" <<<"$top" || fail "main.remember not in the go-heap profile:" "$top"
}

# Command mode: memleakd -- ./gleak traces it from its start.
test_go_command_mode() {
	local json="$WORK/cmd.json" pid
	run_command 0 -i 1 -n 1000 --json "$json" -- "$FIX/go/gleak-1.19" -rate "$GO_RATE" -for 9s
	pid=$(awk '/^ready/ {print $2; exit}' "$CMD_OUT")
	[ -n "$pid" ] || fail "gleak did not start:" "$(cat "$CMD_OUT")"
	gocheck sites "$json" "$pid" goroutine | grep -q ' main.leakOne true$' ||
		fail "main.leakOne not flagged in command mode:" "$(gocheck sites "$json" "$pid" goroutine | tail)"
}

# Never a uretprobe on a Go binary (Go moves stacks: one kills the
# process): while memleakd traces gleak, the kernel holds uprobes on it
# (so this test sees them) and no uretprobe.
test_go_no_uretprobe() {
	local probes
	start_go gleak-1.19
	start_memleakd -p "$FIXTURE_PID" -i 1
	sleep 2
	probes=$(gocheck uprobes "$FIX/go/gleak-1.19")
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd did not exit on SIGINT"
	grep -q '^uprobe' <<<"$probes" || fail "no uprobe on gleak-1.19 seen while tracing it:" "$probes"
	! grep -q '^uretprobe' <<<"$probes" || fail "uretprobe on a Go binary:" "$probes"
	kill -0 "$FIXTURE_PID" || fail "gleak died while traced:" "$(tail -5 "$FIXTURE_OUT")"
	echo "# uprobes on gleak-1.19: $(wc -l <<<"$probes"), no uretprobe"
}

# The daemon stays clean under valgrind on a Go target: test_valgrind_clean
# (test_hygiene.sh) traces gheap-1.23 beside a C leaker under valgrind.

# The sanitizer build traces a Go program with no ASan/UBSan report.
test_go_sanitizer_build() {
	start_go gheap-1.23
	MEMLEAKD="$BUILD/memleakd-san" trace_go 5 --pprof "$WORK/san.pb.gz"
	! grep -qE "ERROR: AddressSanitizer|runtime error:" "$ML_ERR" || fail "sanitizer report:" "$(cat "$ML_ERR")"
	grep -q '"kind":"go-heap"' "$GO_JSON" || fail "sanitizer build: no go-heap stack"
	kill -KILL "$FIXTURE_PID"
}

# A Go version memleakd has no g layout for (and no DWARF to read one from):
# said plainly, no goroutine numbers guessed; the heap profile, whose layout
# does not depend on it, is still read.
test_go_unknown_version() {
	local bin="$WORK/gheap-1.99-stripped"
	perl -pe 's/go1\.23\.5/go1.99.5/g' "$FIX/go/gheap-1.23-stripped" >"$bin"
	chmod +x "$bin"
	grep -q 'go1\.99\.5' "$bin" || fail "could not patch the version into the fixture"
	"$bin" >"$WORK/g199.out" 2>&1 &
	FIXTURE_PID=$!
	track_pid "$FIXTURE_PID"
	wait_for "$WORK/g199.out" '^ready' 20 || fail "patched fixture did not start:" "$(cat "$WORK/g199.out")"
	trace_go 5
	grep -q "go1.99.5" "$ML_ERR" || fail "no message naming the version:" "$(cat "$ML_ERR")"
	! grep -q '"kind":"goroutine"' "$GO_JSON" || fail "goroutines counted for an unknown g layout"
	grep -q '"goroutines_off":"[^"]' "$GO_JSON" || fail "targets[].go.goroutines_off does not say why"
	grep -q '"kind":"go-heap"' "$GO_JSON" || fail "the heap profile was not read"
	kill -KILL "$FIXTURE_PID"
}
