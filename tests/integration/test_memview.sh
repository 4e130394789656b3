# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Tracked versus resident memory: the kernel's anonymous memory of each
# process (smaps_rollup) against what memleakd tracks, and the trend of the
# untracked rest. tests/fixtures/rawmmap.c grows its RSS by raw mmap at
# 1 MiB per 200 ms (about 5 MiB/s) while its malloc'd memory stays flat.
# Sourced by tests/integration/run.sh, after lib.sh.

MEMVIEW_SECONDS=8

# memview_check JSON PID: per snapshot of PID, "seq growing rate untracked
# tracked hint" (one line each; hint "-" when there is none, else its text).
memview_check() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    snap = json.loads(line)
    for t in snap["targets"]:
        if t["pid"] != int(sys.argv[2]) or not t.get("memory"):
            continue
        m = t["memory"]
        if m["untracked_bytes"] != m["anon_bytes"] - m["tracked_bytes"]:
            sys.exit("untracked is not anon - tracked: %r" % m)
        print(snap["seq"], "true" if m["untracked_growing"] else "false",
              int(m["untracked_rate"]), m["untracked_bytes"], m["tracked_bytes"], m["hint"] or "-")
EOF
}

# mmap_stack_bytes JSON PID: the outstanding bytes of PID's mmap stacks in the last snapshot.
mmap_stack_bytes() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
print(sum(s["outstanding_bytes"] for s in last["stacks"]
          if s["pid"] == int(sys.argv[2]) and s["kind"] == "mmap"))
EOF
}

# Memory growing through raw mmap, without --mmap: the untracked part grows
# at about the fixture's rate, and the hint points at --mmap. A process that
# does not leak (growth.c's workload), traced in the same run, is not flagged.
test_memview_untracked_growth() {
	local json="$WORK/memview.json" raw control rows growing rate first
	start_fixture rawmmap
	raw=$FIXTURE_PID
	start_fixture growth workload
	control=$FIXTURE_PID
	start_memleakd -p "$raw" -p "$control" -i 1 -d "$MEMVIEW_SECONDS" --json "$json"
	kill -USR1 "$raw" "$control"
	wait_exit "$ML_PID" $((MEMVIEW_SECONDS + 30)) || fail "memleakd did not stop after -d $MEMVIEW_SECONDS"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	rows=$(memview_check "$json" "$raw") || fail "bad JSON memory object:" "$rows"
	growing=$(awk '$2 == "true"' <<<"$rows" | tail -n 1)
	[ -n "$growing" ] || fail "rawmmap's untracked memory never flagged growing:" "$rows"
	first=$(awk '$2 == "true" {print $1; exit}' <<<"$rows")
	rate=$(awk '{print $3}' <<<"$growing")
	# 5 MiB/s nominal (less the memset's time): within a factor of 2.
	[ "$rate" -ge 2621440 ] && [ "$rate" -le 10485760 ] ||
		fail "untracked rate $rate B/s, want about 5 MiB/s:" "$rows"
	grep -q -- "--mmap" <<<"$growing" || fail "the hint does not mention --mmap:" "$growing"
	grep -Eq '^memory pid '"$raw"' \(rawmmap\): RSS .*, anonymous .*, tracked .*, untracked .* \(\+[0-9.]+ MiB/s, GROWING\)$' "$ML_OUT" ||
		fail "no GROWING memory line in the report:" "$(grep -A1 '^memory' "$ML_OUT" | tail -n 4)"
	grep -q '^  hint: memory is growing outside malloc' "$ML_OUT" || fail "no hint line in the report"
	rows=$(memview_check "$json" "$control") || fail "bad JSON memory object:" "$rows"
	[ -n "$rows" ] || fail "no memory object for the control process"
	if awk '$2 == "true"' <<<"$rows" | grep -q .; then
		fail "a process that does not leak has its untracked memory flagged:" "$rows"
	fi
	echo "# rawmmap: untracked flagged at interval $first, $((rate / 1024)) KiB/s; workload not flagged"
}

# With --mmap the same maps are tracked (kind mmap): the untracked part stays flat.
test_memview_mmap_traced() {
	local json="$WORK/memview-mmap.json" rows mapped
	start_fixture rawmmap
	start_memleakd --mmap -p "$FIXTURE_PID" -i 1 -d "$MEMVIEW_SECONDS" --json "$json"
	kill -USR1 "$FIXTURE_PID"
	wait_exit "$ML_PID" $((MEMVIEW_SECONDS + 30)) || fail "memleakd did not stop after -d $MEMVIEW_SECONDS"
	expect_eq "exit code" 0 "$EXIT_CODE" "$(cat "$ML_ERR")"
	mapped=$(mmap_stack_bytes "$json" "$FIXTURE_PID")
	[ "$mapped" -ge $((10 << 20)) ] || fail "only $mapped bytes of mmap stacks tracked, want >= 10 MiB"
	rows=$(memview_check "$json" "$FIXTURE_PID") || fail "bad JSON memory object:" "$rows"
	[ "$(wc -l <<<"$rows")" -ge "$MEMVIEW_SECONDS" ] || fail "too few snapshots:" "$rows"
	if awk '$2 == "true"' <<<"$rows" | grep -q .; then
		fail "the untracked part is flagged though --mmap tracks the maps:" "$rows"
	fi
	echo "# --mmap: $((mapped >> 20)) MiB of mmap tracked; untracked flat"
}
