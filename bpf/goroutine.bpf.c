// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Goroutine births and deaths in Go programs, from uprobes on call sites
 * inside the runtime (src/gobin.h finds them per binary): at each, one
 * register holds the g being made or torn down, and its goid and gopc are
 * read at the offsets the probe's cookie carries (ML_GO_COOKIE, memleak.h),
 * so no map is looked up. Births carry the creation stack like allocation
 * records; deaths carry none (they run once per goroutine and need only the
 * goid). Both run per goroutine: keep them short.
 */
#include "memleak.bpf.h"

/* The g the probe's cookie points at, or 0. */
static __always_inline __u64 probed_g(struct pt_regs *ctx, __u64 cookie)
{
#if defined(__TARGET_ARCH_x86)
	__u64 ax = ctx->ax, bx = ctx->bx;

	/* Both loaded at fixed offsets: clang would merge them into one the verifier refuses. */
	asm volatile("" : "+r"(ax), "+r"(bx));
	switch (ML_GO_COOKIE_REG(cookie)) {
	case ML_GO_REG_RAX:
		return ax;
	case ML_GO_REG_RBX:
		return bx;
	}
#endif
	return 0;
}

/* Reads the 8-byte field at off in g into *out; false when it cannot. */
static __always_inline bool read_g_field(__u64 g, __u32 off, __u64 *out)
{
	if (bpf_probe_read_user(out, sizeof(*out), (const void *)(g + off)))
		return false;
	return true;
}

SEC("uprobe")
int go_create(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 g = probed_g(ctx, cookie), goid = 0, gopc = 0;

	if (!current_is_traced())
		return 0;
	if (!g || !read_g_field(g, ML_GO_COOKIE_GOID_OFF(cookie), &goid) || !goid ||
	    !read_g_field(g, ML_GO_COOKIE_GOPC_OFF(cookie), &gopc)) {
		count(ML_CNT_GO_UNREADABLE);
		return 0;
	}
	/* The walk crosses from g0's stack into the goroutine's, wherever that lies. */
	emit_with_stack(ctx, ML_EV_GO_CREATE, goid, gopc, 1);
	return 0;
}

SEC("uprobe")
int go_exit(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx);
	__u64 g = probed_g(ctx, cookie), goid = 0;

	if (!current_is_traced())
		return 0;
	if (!g || !read_g_field(g, ML_GO_COOKIE_GOID_OFF(cookie), &goid) || !goid) {
		count(ML_CNT_GO_UNREADABLE);
		return 0;
	}
	emit_without_stack(ML_EV_GO_EXIT, goid, 0);
	return 0;
}
