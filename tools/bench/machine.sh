#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The machine a benchmark ran on, for the README to quote with its numbers:
# date (UTC), kernel, CPU model and count, virtualization (from
# systemd-detect-virt when it is installed), and the memleakd source tree.
#
# usage: tools/bench/machine.sh     (run.sh, bpf_stats.sh, attach_time.sh print it)
set -u

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2 | xargs)
virt=unknown
if command -v systemd-detect-virt >/dev/null; then
	vm=$(systemd-detect-virt --vm 2>/dev/null)
	container=$(systemd-detect-virt --container 2>/dev/null)
	virt="vm ${vm:-none}, container ${container:-none}"
fi
tree=$(git describe --always --dirty 2>/dev/null || echo unknown)

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: kernel $(uname -r), $(nproc) CPUs (${cpu:-unknown CPU}), $(awk '/^MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); virtualization: $virt"
echo "memleakd: $tree"
