#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The Go demo: start tools/demo_go (leaks goroutines and heap), trace it for
# ~15 s, show the final report and the Go profiles go tool pprof reads.
set -eu
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
if [ "$(id -u)" != 0 ]; then
	echo "demo-go: memleakd needs root: run 'sudo make demo-go'" >&2
	exit 1
fi
"$BUILD/demo_go" > "$BUILD/demo_go.out" &
service=$!
trap 'kill $service 2>/dev/null || true' EXIT
sleep 0.5
echo "demo-go: tracing demo_go (pid $service) for 15 s, a report every 1 s (the last one shown)..."
./memleakd -p "$service" -i 1 -d 15 -n 3 --pprof "$BUILD/demo_go.pb.gz" \
	--json "$BUILD/demo_go.json" >"$BUILD/demo_go.report"
sed -n '/^== memleakd final report/,$p' "$BUILD/demo_go.report"
echo "demo-go: the service's own count at the end: $(grep NumGoroutine "$BUILD/demo_go.out" | tail -1)"
echo "demo-go: goroutine profile: go tool pprof -top $BUILD/demo_go.goroutine.pb.gz"
echo "demo-go: heap profile:      go tool pprof -top $BUILD/demo_go.go-heap.pb.gz"
