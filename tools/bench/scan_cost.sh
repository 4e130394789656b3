#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# What a reachability scan costs the target: the pause per MiB of heap and
# per block, for small blocks in a list and for 1 MiB blocks. Each case runs
# tools/bench/scan_heap under `memleakd --scan 2 -d 6` (command mode: every
# block is known) and reads the last scan from the JSON.
# Usage: sudo BUILD=build bash tools/bench/scan_cost.sh   (after make memleakd)
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
MEMLEAKD=${MEMLEAKD:-./memleakd}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -O1 -g -o "$tmp/scan_heap" tools/bench/scan_heap.c
printf '%-28s %10s %10s %10s %10s %12s %12s\n' case blocks heap_MiB pause_ms scan_ms ms_per_MiB us_per_block
for spec in "64 0:64 MiB of 64 B blocks" "0 256:256 MiB of 1 MiB blocks" "0 1000:1000 MiB of 1 MiB blocks"; do
	args=${spec%%:*}
	name=${spec#*:}
	# shellcheck disable=SC2086
	"$MEMLEAKD" --scan 2 -i 1 -d 6 --json "$tmp/out.json" -- "$tmp/scan_heap" $args >/dev/null 2>&1 || true
	python3 - "$tmp/out.json" "$name" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
scan = last["targets"][0]["scan"]
blocks = scan["reachable_count"] + scan["lost_count"] + scan["indirect_count"]
mib = scan["heap_bytes"] / 2**20
print("%-28s %10d %10.1f %10.1f %10.1f %12.2f %12.3f" % (
    sys.argv[2], blocks, mib, scan["pause_ms"], scan["scan_ms"],
    scan["pause_ms"] / mib if mib else 0, scan["pause_ms"] * 1000 / blocks if blocks else 0))
PY
	rm -f "$tmp/out.json"
done
