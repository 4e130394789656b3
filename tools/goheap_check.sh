#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Checks goheap (src/goheap.c) against the Go runtime's own heap profile:
# runs a fixture built from tools/goheap_leak.go (BINARY, with its symbol
# table), lets it leak for SECONDS, makes it write its heap profile
# (SIGUSR1: runtime.GC + pprof.WriteHeapProfile, then 3 s without
# allocating), reads the profile from outside with goheap_dump in that
# pause and compares the totals with `go tool pprof -raw` of the file. The
# four totals and every sample's four values must be equal to the unit. Exit 0 equal, 1 different, 2 setup.
#
#   tools/goheap_check.sh BINARY [SECONDS] [GO]
#
# GO is the go command whose `go tool nm` and `go tool pprof` are used
# (default: go). PIE binaries are handled (load bias from /proc/PID/maps).
# GOHEAP_NOGC=1: the fixture runs with GOGC=off and no GC at all; the read
# happens before the program's own MemProfile folds every cycle, and must
# have folded them too (all_cycles 1). GOHEAP_KEEP=FILE keeps the profile,
# GOHEAP_VERBOSE=1 prints every bucket, GOHEAP_DUMP names the reader.
set -u
binary=$1
seconds=${2:-4}
gocmd=${3:-go}
dump=${GOHEAP_DUMP:-build/goheap_dump}
work=$(mktemp -d)
trap '[ -n "${GOHEAP_KEEP:-}" ] && cp "$work/heap.pprof" "$GOHEAP_KEEP"; rm -rf "$work"' EXIT
export GOTOOLCHAIN=local

symbol() {
	"$gocmd" tool nm "$binary" | awk -v s="$1" '$3 == s { print $1 }'
}
mbuckets=$(symbol runtime.mbuckets)
mprofcycle=$(symbol runtime.mProfCycle)
rate=$(symbol runtime.MemProfileRate)
if [ -z "$mbuckets" ] || [ -z "$mprofcycle" ] || [ -z "$rate" ]; then
	echo "goheap_check: $binary: no runtime.mbuckets/mProfCycle/MemProfileRate symbols" >&2
	exit 2
fi

mkfifo "$work/out"
if [ -n "${GOHEAP_NOGC:-}" ]; then
	GOGC=off GOHEAP_LEAK_NOGC=1 "$binary" "$work/heap.pprof" >"$work/out" &
else
	"$binary" "$work/heap.pprof" >"$work/out" &
fi
pid=$!
exec 3<"$work/out"
read -r -t 10 line <&3
[ "$line" = ready ] || { echo "goheap_check: fixture did not start" >&2; kill "$pid"; exit 2; }

# Load bias: 0 unless PIE (ELF type DYN): first mapping of the file minus its first PT_LOAD page.
bias=0
if readelf -hW "$binary" | grep -q 'Type:.*DYN'; then
	real=$(readlink -f "$binary")
	start=$(awk -v f="$real" '$6 == f && $3 == "00000000" { split($1, a, "-"); print a[1]; exit }' \
		"/proc/$pid/maps")
	vaddr=$(readelf -lW "$binary" | awk '$1 == "LOAD" { print $3; exit }')
	bias=$(( 0x$start - (vaddr & ~0xfff) ))
fi
addr() { printf '%x' $(( 0x$1 + bias )); }

expect_line() {
	read -r -t 20 line <&3
	if [ "$line" != "$1" ]; then
		echo "goheap_check: fixture did not say $1" >&2
		kill "$pid"
		exit 2
	fi
}
read_profile() {
	"$dump" -v "$pid" "$(addr "$mbuckets")" "$(addr "$mprofcycle")" "$(addr "$rate")" \
		>"$work/dump"
	status=$?
}

sleep "$seconds"
kill -USR1 "$pid"
if [ -n "${GOHEAP_NOGC:-}" ]; then
	expect_line paused
	read_profile
	expect_line dumped
else
	expect_line dumped
	read_profile
fi
kill "$pid"
wait "$pid" 2>/dev/null
[ $status = 0 ] || exit 2

# pprof -raw: a header line naming the four sample types, then "v1 v2 v3 v4: locations".
"$gocmd" tool pprof -raw "$work/heap.pprof" 2>/dev/null | awk '
	/^Samples:/ { in_samples = 1; next }
	in_samples && /^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ {
		sub(":", "", $4); ao += $1; as += $2; io += $3; is += $4 }
	/^Locations/ { in_samples = 0 }
	END { printf "inuse_objects %d inuse_space %d alloc_objects %d alloc_space %d\n", io, is, ao, as }
' >"$work/pprof"
# Per bucket too: pprof's samples are the runtime's records, one each. Empty
# ones are left out on both sides: WriteHeapProfile's own allocations, after
# its MemProfile call, make buckets the file cannot have (empty until a GC).
awk '$1 == "bucket" && ($8 || $9 || $5 || $6) { print $8, $9, $5, $6 }' "$work/dump" | sort \
	>"$work/dump.samples"
"$gocmd" tool pprof -raw "$work/heap.pprof" 2>/dev/null |
	awk '/^ *[0-9]+ +[0-9]+ +[0-9]+ +[0-9]+:/ { sub(":", "", $4); if ($1 + 0 || $2 + 0 || $3 + 0 || $4 + 0) print $1, $2, $3, $4 }' | sort \
	>"$work/pprof.samples"
[ -n "${GOHEAP_VERBOSE:-}" ] && cat "$work/dump"
[ -n "${GOHEAP_KEEP:-}" ] && cp "$work/dump.samples" "$GOHEAP_KEEP.ours" && cp "$work/pprof.samples" "$GOHEAP_KEEP.pprof"
grep -v '^bucket' "$work/dump"
echo "pprof: $(wc -l <"$work/pprof.samples") samples"
ours=$(grep '^inuse_objects' "$work/dump")
theirs=$(cat "$work/pprof")
echo "pprof: $theirs"
if [ -n "${GOHEAP_NOGC:-}" ] && ! grep -q ' all_cycles 1 ' "$work/dump"; then
	echo "goheap_check: $binary: no GC ran, yet not every cycle was folded"
	exit 1
fi
if [ "$ours" = "$theirs" ] && cmp -s "$work/dump.samples" "$work/pprof.samples"; then
	echo "goheap_check: $binary: equal"
	exit 0
fi
echo "goheap_check: $binary: DIFFERENT"
exit 1
