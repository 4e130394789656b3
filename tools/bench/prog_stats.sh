# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Sourced by the benchmarks that read BPF programs' own cost
# (kernel.bpf_stats_enabled): bpf_stats.sh, go_churn.sh.

# prog_stats PID: "id name run_time_ns run_cnt" of every BPF program PID
# holds open (its fds' prog_id: bpftool 7.1 lists no pids).
prog_stats() {
	local ids
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un | tr '\n' ' ')
	bpftool -j prog show | python3 -c '
import json, sys
ids = set(int(i) for i in sys.argv[1].split())
for p in json.load(sys.stdin):
    if p.get("id") in ids:
        print(p["id"], p.get("name", "?"), p.get("run_time_ns", 0), p.get("run_cnt", 0))
' "$ids"
}
