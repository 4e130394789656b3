# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What is recorded: --sample-bytes estimates and purges. (The floor, probes
# with empty programs, is tools/bench/floor's, outside the product.)
# Sourced by tests/integration/run.sh, after lib.sh.

# --sample-bytes: the leak's bytes are estimated within 20% (about 470
# samples of 1000 B at one per 4 KiB), the churn holds nothing, and the
# frees of unsampled blocks stay in the kernel (no unmatched frees).
test_sampling_estimates() {
	local folded="$WORK/sampled.folded" leaked got churn
	start_fixture leaker malloc 2000
	start_memleakd -p "$FIXTURE_PID" -i 1 --sample-bytes 4k --folded "$folded"
	finish_traced '^leaked'
	leaked=$(leaked_bytes)
	got=$(folded_bytes "$folded" "leak_outer;leak_mid;leak_inner")
	within 20 "$leaked" "$got" || fail "estimated $got B for $leaked B leaked (±20%)"
	churn=$(folded_bytes "$folded" "churn_inner")
	[ "$churn" = 0 ] || fail "churn_inner holds $churn B"
	grep -q "^unmatched frees 0 " "$ML_OUT" || fail "unsampled frees reached userspace:" "$(grep '^unmatched' "$ML_OUT" | tail -1)"
	grep -q "^sampling: one allocation per 4.0 KiB" "$ML_OUT" || fail "report does not say it samples"
	echo "# sampling 1 per 4 KiB: estimated $got B for $leaked B leaked"
}

# With sampling, a target that exits leaves nothing behind in the kernel's
# set of sampled blocks, while the other target's blocks stay.
test_sampling_purged_on_exit() {
	local first second dump id map=
	start_fixture leaker malloc 30 --exit
	first=$FIXTURE_PID
	start_fixture leaker malloc 30
	second=$FIXTURE_PID
	start_memleakd -p "$first" -p "$second" -i 1 --sample-bytes 1
	kill -USR1 "$first" "$second"
	wait_for "$ML_ERR" "pid $first .*exited" 30 || fail "exit not noticed:" "$(cat "$ML_ERR")"
	wait_for "$FIXTURE_OUT" '^leaked' 30 || fail "second fixture did not finish:" "$(cat "$FIXTURE_OUT")"
	sleep 0.5
	# This memleakd's own map (the fds it holds): other memleakds on the box have one too.
	for id in $(awk '/^map_id:/ {print $2}' /proc/"$ML_PID"/fdinfo/* 2>/dev/null); do
		bpftool map show id "$id" 2>/dev/null | grep -q " name sampled " && map=$id
	done
	[ -n "$map" ] || fail "no map named sampled among memleakd's fds"
	dump=$(bpftool -j map dump id "$map" 2>&1 | python3 -c '
import json, sys
pids = [e["formatted"]["key"]["tgid"] for e in json.load(sys.stdin)]
print(" ".join(str(p) for p in sorted(set(pids))), len(pids))')
	kill -INT "$ML_PID"
	wait_exit "$ML_PID" 20 || fail "memleakd still running after 20 s; stderr:" "$(cat "$ML_ERR")"
	[[ " $dump " != *" $first "* ]] || fail "blocks of exited pid $first still in the map: $dump"
	[[ " $dump " == *" $second "* ]] || fail "the living target's blocks are gone: $dump"
}
