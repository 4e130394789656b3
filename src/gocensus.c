// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The goroutine census: runtime.allgs (a []*g) read through a mem_read_fn,
 * its pointer array in chunks, each g's first off->size bytes in one read.
 * Nothing read is trusted: lengths are capped, fields range-checked, a g
 * that makes no sense is counted and skipped.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gocensus.h"

#define GO_GSCAN	   0x1000
#define GO_STATUS_MAX	   9 /* _Gpreempted; larger is garbage */
#define DEFAULT_MAX_GS	   1000000
#define G_PTRS_PER_READ	   512
#define G_SIZE_MAX	   4096 /* sizeof(runtime.g) is ~400 bytes in every version */
#define FRAME_RECORD_BYTES 16	/* saved bp, then the return address */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t load_u32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Whether a field of width bytes at offset fits in a g of size bytes. */
static bool field_fits(uint32_t offset, uint32_t width, uint32_t size)
{
	return (uint64_t)offset + width <= size;
}

/* Whether every field the census reads lies inside off->size, itself sane. */
static bool offsets_valid(const struct go_g_offsets *off)
{
	const uint32_t words[] = {off->goid,	  off->gopc,	 off->startpc,
				  off->waitsince, off->stack_lo, off->stack_hi,
				  off->sched_sp,  off->sched_pc, off->sched_bp};
	size_t i;

	if (off->size == 0 || off->size > G_SIZE_MAX)
		return false;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!field_fits(words[i], 8, off->size))
			return false;
	return field_fits(off->atomicstatus, 4, off->size) &&
	       field_fits(off->waitreason, 1, off->size);
}

static int census_read(const struct go_census_opts *opts, struct go_census *c, uint64_t addr,
		       void *buf, size_t len)
{
	int err = opts->read(opts->read_ctx, addr, buf, len);

	if (!err)
		c->bytes_read += len;
	return err;
}

/* The fields of the g read into raw. */
static void decode_g(const struct go_g_offsets *off, const unsigned char *raw, uint64_t addr,
		     struct go_g *g)
{
	memset(g, 0, sizeof(*g));
	g->g = addr;
	g->goid = load_u64(raw + off->goid);
	g->gopc = load_u64(raw + off->gopc);
	g->startpc = load_u64(raw + off->startpc);
	g->status = load_u32(raw + off->atomicstatus) & ~(uint32_t)GO_GSCAN;
	g->waitreason = raw[off->waitreason];
	g->waitsince = (int64_t)load_u64(raw + off->waitsince);
	g->sched_pc = load_u64(raw + off->sched_pc);
	g->sched_sp = load_u64(raw + off->sched_sp);
	g->sched_bp = load_u64(raw + off->sched_bp);
	g->stack_lo = load_u64(raw + off->stack_lo);
	g->stack_hi = load_u64(raw + off->stack_hi);
}

static bool status_live(uint32_t status)
{
	return status != GO_GIDLE && status != GO_GDEAD;
}

/* A live g whose fields contradict each other (a torn read, or not a g at all). */
static bool live_g_is_garbage(const struct go_g *g)
{
	return g->goid == 0 || g->stack_lo >= g->stack_hi || g->waitsince < 0;
}

enum g_verdict { G_LIVE, G_NOT_LIVE, G_UNREADABLE };

static enum g_verdict read_g(const struct go_census_opts *opts, struct go_census *c, uint64_t addr,
			     unsigned char *raw, struct go_g *g)
{
	if (!addr || census_read(opts, c, addr, raw, opts->off->size))
		return G_UNREADABLE;
	decode_g(opts->off, raw, addr, g);
	if (g->status > GO_STATUS_MAX)
		return G_UNREADABLE;
	if (!status_live(g->status))
		return G_NOT_LIVE;
	if (live_g_is_garbage(g))
		return G_UNREADABLE;
	return G_LIVE;
}

static void keep_live_g(const struct go_census_opts *opts, struct go_census *c, struct go_g *g)
{
	g->system = opts->is_system && opts->is_system(opts->system_ctx, g->startpc);
	g->runtime_made = opts->is_system && opts->is_system(opts->system_ctx, g->gopc);
	if (g->system)
		c->nr_system++;
	else
		c->nr_user++;
	c->gs[c->nr++] = *g;
}

/* Reads the gs whose pointers are ptrs[0..n). */
static void census_gs(const struct go_census_opts *opts, struct go_census *c, const uint64_t *ptrs,
		      size_t n, unsigned char *raw)
{
	struct go_g g;
	size_t i;

	for (i = 0; i < n; i++) {
		switch (read_g(opts, c, ptrs[i], raw, &g)) {
		case G_LIVE:
			keep_live_g(opts, c, &g);
			break;
		case G_UNREADABLE:
			c->nr_unreadable++;
			break;
		case G_NOT_LIVE:
			break;
		}
	}
}

/* Walks the first n entries of the pointer array at array, a chunk per read. */
static void census_walk(const struct go_census_opts *opts, struct go_census *c, uint64_t array,
			size_t n, unsigned char *raw)
{
	uint64_t ptrs[G_PTRS_PER_READ];
	size_t done, chunk;

	for (done = 0; done < n; done += chunk) {
		chunk = n - done < G_PTRS_PER_READ ? n - done : G_PTRS_PER_READ;
		if (census_read(opts, c, array + done * sizeof(uint64_t), ptrs,
				chunk * sizeof(uint64_t))) {
			c->nr_unreadable += chunk;
			continue;
		}
		census_gs(opts, c, ptrs, chunk, raw);
	}
}

int gocensus__take(const struct go_census_opts *opts, struct go_census *c)
{
	uint64_t slice[3], started = monotonic_ns(), array, len, cap;
	size_t max = opts->max_gs ? opts->max_gs : DEFAULT_MAX_GS, n;
	unsigned char *raw;

	memset(c, 0, sizeof(*c));
	if (!opts->off || !offsets_valid(opts->off) || !opts->read)
		return -EINVAL;
	if (!opts->allgs || census_read(opts, c, opts->allgs, slice, sizeof(slice)))
		return -EFAULT;
	array = slice[0], len = slice[1], cap = slice[2];
	if (len > cap || (len && !array) || len > (UINT64_MAX - array) / sizeof(uint64_t))
		return -EFAULT;
	c->nr_allgs = len;
	n = len < max ? (size_t)len : max;
	c->nr_skipped = len - n;
	raw = malloc(opts->off->size);
	c->gs = calloc(n ? n : 1, sizeof(*c->gs));
	if (!raw || !c->gs) {
		free(raw);
		gocensus__free(c);
		return -ENOMEM;
	}
	census_walk(opts, c, array, n, raw);
	free(raw);
	c->duration_ns = monotonic_ns() - started;
	return 0;
}

void gocensus__free(struct go_census *c)
{
	if (!c)
		return;
	free(c->gs);
	c->gs = NULL;
	c->nr = 0;
}

/* Whether the 16-byte frame record at bp lies inside g's stack. */
static bool frame_in_stack(const struct go_g *g, uint64_t bp)
{
	return bp >= g->stack_lo && bp < g->stack_hi && g->stack_hi - bp >= FRAME_RECORD_BYTES;
}

size_t gocensus__blocked_stack(const struct go_census_opts *opts, const struct go_g *g,
			       uint64_t *pcs, size_t max)
{
	uint64_t bp = g->sched_bp, record[2];
	size_t n = 0;

	if (g->status != GO_GWAITING || !g->sched_pc || !max)
		return 0;
	pcs[n++] = g->sched_pc;
	while (n < max && frame_in_stack(g, bp)) {
		if (opts->read(opts->read_ctx, bp, record, sizeof(record)) || !record[1])
			break;
		pcs[n++] = record[1];
		if (record[0] <= bp) /* the chain must climb: a loop or the end */
			break;
		bp = record[0];
	}
	return n;
}

/* runtime.waitReasonStrings, Go 1.19 (runtime/runtime2.go). */
static const char *const wait_reasons_1_19[] = {
    "",
    "GC assist marking",
    "IO wait",
    "chan receive (nil chan)",
    "chan send (nil chan)",
    "dumping heap",
    "garbage collection",
    "garbage collection scan",
    "panicwait",
    "select",
    "select (no cases)",
    "GC assist wait",
    "GC sweep wait",
    "GC scavenge wait",
    "chan receive",
    "chan send",
    "finalizer wait",
    "force gc (idle)",
    "semacquire",
    "sleep",
    "sync.Cond.Wait",
    "timer goroutine (idle)",
    "trace reader (blocked)",
    "wait for GC cycle",
    "GC worker (idle)",
    "preempted",
    "debug call",
};

/* Go 1.23. */
static const char *const wait_reasons_1_23[] = {
    "",
    "GC assist marking",
    "IO wait",
    "chan receive (nil chan)",
    "chan send (nil chan)",
    "dumping heap",
    "garbage collection",
    "garbage collection scan",
    "panicwait",
    "select",
    "select (no cases)",
    "GC assist wait",
    "GC sweep wait",
    "GC scavenge wait",
    "chan receive",
    "chan send",
    "finalizer wait",
    "force gc (idle)",
    "semacquire",
    "sleep",
    "sync.Cond.Wait",
    "sync.Mutex.Lock",
    "sync.RWMutex.RLock",
    "sync.RWMutex.Lock",
    "trace reader (blocked)",
    "wait for GC cycle",
    "GC worker (idle)",
    "GC worker (active)",
    "preempted",
    "debug call",
    "GC mark termination",
    "stopping the world",
    "flushing proc caches",
    "trace goroutine status",
    "trace proc status",
    "page trace flush",
    "coroutine",
    "GC weak to strong wait",
};

/*
 * Reasons 0 .. "sync.Cond.Wait" are the same in 1.19 and 1.23 (the lists
 * only grew after it since): the part trusted for versions whose own list
 * is not transcribed here (1.18, 1.20 - 1.22).
 */
#define WAIT_REASONS_STABLE 21

#define NR_OF(a) (sizeof(a) / sizeof((a)[0]))

const char *gocensus__wait_reason(int major, int minor, uint8_t reason)
{
	if (major != 1 || minor < 18 || minor > 23)
		return NULL;
	if (minor == 19)
		return reason < NR_OF(wait_reasons_1_19) ? wait_reasons_1_19[reason] : NULL;
	if (minor == 23)
		return reason < NR_OF(wait_reasons_1_23) ? wait_reasons_1_23[reason] : NULL;
	return reason < WAIT_REASONS_STABLE ? wait_reasons_1_23[reason] : NULL;
}
