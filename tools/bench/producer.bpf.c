// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * tools/bench/drain_bench's producer: synthetic records at full speed, run
 * with BPF_PROG_TEST_RUN (never attached). Its ring buffer is memleakd's
 * own: drain_bench hands the tracer's map to this object before load
 * (bpf_map__reuse_fd), so the records take the daemon's real drain path,
 * with the daemon's layout (struct ml_event) and wakeup policy. Each run
 * emits BENCH_BATCH records: ALLOC and FREE of the same block, in turn,
 * for pid 1 with stack ids 0..63.
 */
#include "bench.h"
#include "memleak.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 wakeup_bytes = 1 << 20; /* as the tracer sets memleak.bpf.c's */

__u64 drops = 0; /* ring buffer full: record lost */

/* Replaced by the tracer's ring buffer; the size here is a placeholder. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct bench_state {
	__u64 base;
};

static long bench_emit(__u32 i, void *ctx)
{
	struct bench_state *st = ctx;
	struct ml_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__sync_fetch_and_add(&drops, 1);
		return 0;
	}
	e->type = i & 1 ? ML_EV_FREE : ML_EV_ALLOC;
	e->pid = 1;
	e->tid = 1;
	e->stack_id = (__s32)((i >> 1) & 63);
	e->addr = st->base + ((__u64)(i >> 1) << 4);
	e->size = 64;
	e->ts_ns = 0;
	e->stack_key = 0;
	bpf_ringbuf_submit(e, ringbuf_wakeup(&events, wakeup_bytes));
	return 0;
}

SEC("raw_tp")
int bench_produce(void *ctx)
{
	struct bench_state st = {.base = (bpf_ktime_get_ns() & 0xffffffffULL) << 16};

	bpf_loop(BENCH_BATCH, bench_emit, &st, 0);
	return 0;
}
