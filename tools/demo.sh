#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The demo: start tools/demo_leaker, trace it for ~10 s, show the report.
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
echo "demo: tracing demo_leaker (pid $leaker) for 10 s, a report every 5 s..."
./memleakd -p "$leaker" -i 5 -d 10 -n 3 --folded "$BUILD/demo.folded"
kill -INT $leaker
wait $leaker || true
cat "$BUILD/demo_leaker.out"
echo "demo: folded stacks for flame graphs are in $BUILD/demo.folded:"
cat "$BUILD/demo.folded"
