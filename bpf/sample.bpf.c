// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Byte-based sampling (--sample-bytes N), as tcmalloc and Go's heap
 * profiler do it: a countdown of bytes drawn from an exponential
 * distribution of mean N; the allocation that crosses zero is sampled, so
 * the chance of a block being seen is 1 - exp(-size / N) and userspace can
 * scale it back without bias by size. Only sampled blocks are remembered
 * here, so the frees of the others never leave the kernel.
 * memleak.bpf.h's sample_alloc()/sample_free() call in only when sampling.
 * With uprobe sessions (sample_at_entry) the entry draws (sample_draw:
 * the size is known there, and an unsampled call skips its return probe)
 * and the return only remembers the block (sample_remember).
 */
#include "memleak.bpf.h"

const volatile __u64 sample_bytes = 0; /* 0: every allocation */

/* Quantiles of the exponential distribution of mean sample_bytes (userspace fills them). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, ML_SAMPLE_QUANTILES);
	__type(key, __u32);
	__type(value, __u64);
} sample_steps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __s64);
} sample_countdown SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* sized by userspace when sampling */
	__type(key, struct ml_sampled_key);
	__type(value, __u8);
} sampled SEC(".maps");

static __always_inline __u64 next_sample_step(void)
{
	__u32 index = bpf_get_prandom_u32() % ML_SAMPLE_QUANTILES;
	__u64 *step = bpf_map_lookup_elem(&sample_steps, &index);

	return step && *step ? *step : sample_bytes;
}

/* The countdown: true when an allocation of size bytes crosses zero (then drawn anew). */
__hidden bool sample_draw(__u64 size)
{
	__u32 zero = 0;
	__s64 *left;

	left = bpf_map_lookup_elem(&sample_countdown, &zero);
	if (!left)
		return true;
	*left -= (__s64)size;
	if (*left > 0)
		return false;
	*left = (__s64)next_sample_step();
	return true;
}

/* Remembers a sampled block, so its free is sent; false (counted) when the set is full. */
__hidden bool sample_remember(__u64 addr)
{
	struct ml_sampled_key key = {.tgid = bpf_get_current_pid_tgid() >> 32, .addr = addr};
	__u8 one = 1;

	if (bpf_map_update_elem(&sampled, &key, &one, BPF_ANY)) {
		count(ML_CNT_SAMPLE_FULL);
		return false;
	}
	return true;
}

/* True when this allocation is sampled; remembers it. */
__hidden bool sample_take(__u64 addr, __u64 size)
{
	return sample_draw(size) && sample_remember(addr);
}

/* True when the freed block was sampled; forgets it. */
__hidden bool sample_forget(__u64 addr)
{
	struct ml_sampled_key key = {.tgid = bpf_get_current_pid_tgid() >> 32, .addr = addr};

	return bpf_map_delete_elem(&sampled, &key) == 0;
}
