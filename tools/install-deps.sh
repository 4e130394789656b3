#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs the Debian 12 packages memleakd's build, tests and demo need.
# Idempotent: installs nothing when everything is present.
set -eu
packages=(
	make gcc clang llvm pkg-config	# build; clang compiles the BPF side, llvm-strip strips it
	libclang-rt-14-dev		# libFuzzer for the ELF/DWARF fuzz target
	libbpf-dev bpftool		# loader library and skeleton generator
	libelf-dev libdw-dev zlib1g-dev	# ELF symbols, DWARF CFI for unwind tables
	libiberty-dev			# C++ and Rust demangling
	liblzma-dev xz-utils		# MiniDebugInfo (.gnu_debugdata); xz builds its test fixture
	protobuf-c-compiler libprotobuf-c-dev	# --pprof: profile.proto encoder
	golang-go			# tests: 'go tool pprof' reads the --pprof output
	libcmocka-dev			# unit tests
	binutils libc6-dbg		# tests: objcopy/strip/readelf; libc's build-id debug file
	valgrind util-linux procps	# tests: valgrind, setpriv, pgrep
	liblsan0 sqlite3		# tests: LeakSanitizer (gcc -fsanitize=leak) and sqlite3, compared in test_reach.sh
	g++ gdb python3			# stack-fidelity check: C++ fixture, gdb's backtrace as truth
	musl-tools			# tests: a static musl binary
	libjemalloc2 libtcmalloc-minimal4	# tests: preloaded allocators
	libxml2-utils			# tests: xmllint checks the SVG is well-formed
	libmicrohttpd-dev		# --metrics: the HTTP server Prometheus scrapes
	prometheus			# tests: a real Prometheus scrapes --metrics; promtool checks it
	systemd				# tests: systemd-analyze verify memleakd.service
	clang-format
)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} = 0 ]; then
	echo "deps: all present"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing ${missing[*]}; run 'sudo make deps'" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No recommends: prometheus would bring a node exporter that starts on install.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
