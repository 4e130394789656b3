# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What the user reads: pprof, SVG flame graph, JSON lines on stdout,
# colour only on a terminal, and the README's demo.
# Sourced by tests/integration/run.sh, after lib.sh.

# --pprof: go tool pprof reads the profile, and its inuse_space total is
# memleakd's own outstanding total (the final JSON line of the same snapshot).
test_pprof_matches_totals() {
	local prof="$WORK/leak.pb.gz" json="$WORK/leak.json" top total want
	command -v go >/dev/null || fail "go not installed (tools/install-deps.sh: golang-go)"
	start_fixture fidelity-nofp </dev/null
	start_memleakd -p "$FIXTURE_PID" -i 1 --pprof "$prof" --json "$json"
	finish_traced '^done'
	top=$(HOME=$WORK GOCACHE=$WORK/go-cache go tool pprof -top -unit=B -sample_index=inuse_space "$prof" 2>&1)
	total=$(sed -n 's/^Showing nodes accounting for \([0-9]*\)B, 100% of \([0-9]*\)B total$/\2/p' <<<"$top")
	want=$(tail -1 "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["outstanding_bytes"])')
	[ -n "$total" ] && [ "$total" = "$want" ] ||
		fail "pprof inuse_space total '$total', memleakd total '$want'; pprof said:" "$top"
	grep -q "fid_direct_c" <<<"$top" || fail "fid_direct_c missing from pprof -top:" "$top"
	# The four sample types, and inlined frames kept as such.
	top=$(HOME=$WORK GOCACHE=$WORK/go-cache go tool pprof -traces -sample_index=alloc_objects "$prof" 2>&1)
	grep -q "getline (inline)" <<<"$top" || fail "no inlined frame in pprof -traces:" "$top"
	echo "# pprof inuse_space total = memleakd total = $want B"
}

# --svg: a well-formed flame graph in which the leaking function's frame is
# drawn, titled with its bytes and growth, and marked growing. The SVG of
# test_growth.sh's shared run (growth steady beside four other patterns).
test_svg_flame_graph() {
	local svg="$GROWTH_SVG" check
	run_growth_patterns
	check=$(python3 - "$svg" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == ns + "svg", "root is not <svg>"
found = [g for g in root.iter(ns + "g")
         if g.find(ns + "title") is not None and g.find(ns + "title").text.startswith("steady_leak ")]
assert found, "no frame titled steady_leak"
g = found[0]
assert g.get("class") == "growing", "steady_leak not marked growing"
assert "growing +" in g.find(ns + "title").text, "title lacks the growth rate"
assert " B, " in g.find(ns + "title").text, "title lacks the bytes"
assert g.find(ns + "rect") is not None and float(g.find(ns + "rect").get("width")) > 100, "frame too narrow"
texts = [t.text for t in root.iter(ns + "text") if t.text]
assert any(t.startswith("steady_leak") for t in texts), "steady_leak not written on its frame"
print("ok")
PY
)
	[ "$check" = ok ] || fail "SVG check failed: $check"
}

# --json -: stdout carries JSON lines only, one valid object per interval.
test_json_stdout() {
	local out="$WORK/json-stdout.out"
	start_fixture leaker malloc 20
	start_memleakd -p "$FIXTURE_PID" -i 1 -d 3 --json -
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd still running after 20 s; stderr:" "$(cat "$ML_ERR")"
	python3 - "$ML_OUT" >"$out" 2>&1 <<'PY' || fail "stdout is not JSON lines:" "$(cat "$out")"
import json, sys
objs = [json.loads(line) for line in open(sys.argv[1])]
assert len(objs) >= 3, "%d objects" % len(objs)
assert objs[-1]["final"] and not objs[0]["final"]
assert [o["seq"] for o in objs] == list(range(1, len(objs) + 1))
leak = [s for s in objs[-1]["stacks"] if any(f["symbol"] == "leak_inner" for f in s["frames"])]
assert leak and leak[0]["outstanding_bytes"] == 20000, leak
PY
}

# report_until_growing OUT WHERE ENV...: memleakd -p FIXTURE_PID -i 1 -n 1,
# its report on WHERE ("pty": a terminal, through script(1); "pipe"), with
# the environment ENV, until OUT shows GROWING (20 s at most; the steady
# leak is flagged within 5 intervals), then SIGINT: its final report follows.
report_until_growing() {
	local out=$1 where=$2 wrapper ml i
	shift 2
	if [ "$where" = pty ]; then
		env "$@" script -qec "exec $MEMLEAKD -p $FIXTURE_PID -i 1 -n 1" /dev/null >"$out" 2>&1 &
		wrapper=$!
		track_pid "$wrapper"
		for ((i = 0; i < 100; i++)); do
			ml=$(pgrep -P "$wrapper" -x memleakd) && break
			sleep 0.05
		done
		[ -n "$ml" ] || fail "memleakd did not start under script(1):" "$(cat "$out")"
	else
		env "$@" "$MEMLEAKD" -p "$FIXTURE_PID" -i 1 -n 1 2>/dev/null > >(cat >"$out") &
		ml=$!
		wrapper=$ml
	fi
	track_pid "$ml"
	wait_for "$out" 'GROWING' 20 || fail "no GROWING on the $where within 20 s:" "$(tail -5 "$out")"
	kill -INT "$ml"
	wait_exit "$wrapper" 20 || fail "memleakd on the $where did not exit on SIGINT"
	expect_eq "exit code on the $where" 0 "$EXIT_CODE" "$(tail -5 "$out")"
	wait_for "$out" 'final report' 5 || fail "no final report on the $where:" "$(tail -5 "$out")"
}

# Colour on a terminal only: a pty gets ANSI codes on a growing stack;
# NO_COLOR and a pipe get none.
test_color_only_on_terminal() {
	local tty_out="$WORK/tty.out" nocolor_out="$WORK/nocolor.out" pipe_out="$WORK/pipe.out"
	command -v script >/dev/null || fail "script(1) missing (util-linux)"
	start_fixture growth steady
	kill -USR1 "$FIXTURE_PID"
	report_until_growing "$tty_out" pty NO_COLOR=
	grep -q $'\033\[1;31mGROWING' "$tty_out" || fail "no colour on a terminal:" "$(tail -5 "$tty_out")"
	report_until_growing "$nocolor_out" pty NO_COLOR=1
	! grep -q $'\033\[' "$nocolor_out" || fail "colour despite NO_COLOR"
	# Every other test reads a pipe: the steady leak's report there has no escape either.
	report_until_growing "$pipe_out" pipe NO_COLOR=
	! grep -q $'\033' "$pipe_out" || fail "colour in a pipe"
}

# The README's demo puts the demo's leaking function on top with the exact bytes.
test_demo() {
	local out="$WORK/demo.out" bytes count
	[ -x "$BUILD/demo_leaker" ] || fail "$BUILD/demo_leaker not built"
	BUILD=$BUILD bash tools/demo.sh >"$out" 2>&1 || fail "demo failed:" "$(cat "$out")"
	grep -A3 '^#1 ' "$out" | tail -1 | grep -q '^        new_session+0x' ||
		fail "new_session is not the top frame of stack #1:" "$(cat "$out")"
	# The leak is 256 B per allocation, nothing else is outstanding.
	grep -A2 '^#1 ' "$out" | grep -q 'GROWING' ||
		fail "the demo's leak is not flagged growing:" "$(cat "$out")"
	read -r bytes count < <(sed -n 's/^#1 .*(\([0-9]*\) B) in \([0-9]*\) allocations.*/\1 \2/p' "$out" | tail -1)
	[ -n "$count" ] && [ "$count" -gt 0 ] && [ "$bytes" = $((count * 256)) ] ||
		fail "stack #1: expected 256 B x allocations, got '$bytes' B in '$count'"
}
