#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The demo: start tools/demo_leaker, trace it for ~12 s, show the final report and the outputs.
set -eu
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
if [ "$(id -u)" != 0 ]; then
	echo "demo: memleakd needs root: run 'sudo make demo'" >&2
	exit 1
fi
"$BUILD/demo_leaker" > "$BUILD/demo_leaker.out" &
leaker=$!
trap 'kill $leaker 2>/dev/null || true' EXIT
sleep 0.2
echo "demo: tracing demo_leaker (pid $leaker) for 12 s, a report every 2 s (the last one shown)..."
./memleakd -p "$leaker" -i 2 -d 12 -n 3 --folded "$BUILD/demo.folded" --svg "$BUILD/demo.svg" \
	--pprof "$BUILD/demo.pb.gz" --json "$BUILD/demo.json" >"$BUILD/demo.report"
sed -n '/^== memleakd final report/,$p' "$BUILD/demo.report"
kill -INT $leaker
wait $leaker || true
cat "$BUILD/demo_leaker.out"
echo "demo: all reports: $BUILD/demo.report; JSON lines: $BUILD/demo.json"
echo "demo: flame graph (open in a browser): $BUILD/demo.svg; pprof: go tool pprof $BUILD/demo.pb.gz"
echo "demo: folded stacks in $BUILD/demo.folded:"
cat "$BUILD/demo.folded"
