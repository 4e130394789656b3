// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Go heap profile read from the runtime's bucket list (see goheap.h).
 *
 * The list (runtime.mbuckets → allnext → … → nil) only ever grows at its
 * head and a bucket's header and PCs never change, so the cache holds the
 * list oldest first and a read walks from the head only until it meets the
 * cached head; the records of all buckets are then re-read in spans that
 * cover several nearby records at once (buckets are bump-allocated, mostly
 * adjacent). Folding follows runtime.MemProfile (Go 1.19 and 1.23 alike),
 * scaling runtime/pprof's scaleHeapSample with the amd64 runtime's own
 * math.Exp so the numbers match pprof's to the unit.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "goheap.h"

/* runtime.bucket on amd64 (unchanged 1.9 → 1.23): header, nstk PCs, memRecord. */
#define BUCKET_HEADER_SIZE    48
#define BUCKET_OFF_ALLNEXT    8
#define BUCKET_OFF_TYP	      16
#define BUCKET_OFF_SIZE	      32
#define BUCKET_OFF_NSTK	      40
#define BUCKET_TYP_MEMPROFILE 1
#define BUCKET_MAX_PCS	      1024 /* maxProfStackDepth (1.23); 32 before */
#define MEMRECORD_CYCLES      3
/* Total PCs the cache holds at most (128 MiB): beyond, buckets count as invalid. */
#define GOHEAP_MAX_PCS	      (16u << 20)
/* Records closer than this are read in one span, spans at most SPAN_MAX bytes. */
#define SPAN_GAP	      2048
#define SPAN_MAX	      65536

struct record_cycle {
	uint64_t allocs, frees, alloc_bytes, free_bytes;
};

struct mem_record {
	struct record_cycle active, future[MEMRECORD_CYCLES];
};

_Static_assert(sizeof(struct mem_record) == 128, "runtime.memRecord is 128 bytes");

struct cached_bucket {
	uint64_t addr, size;
	size_t pc_off; /* into goheap.pcs */
	uint32_t nr_pcs;
	bool valid; /* header read as a memProfile bucket and PCs read */
};

struct goheap {
	struct cached_bucket *cache; /* the list oldest first: the head is the last */
	size_t nr_cached, cap_cached;
	bool cache_complete; /* the cache is the whole list, down to nil */
	uint64_t *pcs;
	size_t nr_pcs, cap_pcs;
	/* Per read, parallel to cache. */
	struct mem_record *records;
	bool *record_read;
	size_t *by_record_addr; /* valid cache indices, records in address order */
	size_t nr_ordered;
	size_t cap_records;
	bool order_stale;
	unsigned char *span;
	struct goheap_bucket *out;
	size_t cap_out;
	/* The walk's new buckets, head first (only during a read). */
	struct cached_bucket *fresh;
	size_t nr_fresh, cap_fresh;
	uint64_t bytes_read;
};

struct goheap *goheap__new(void)
{
	struct goheap *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->span = malloc(SPAN_MAX);
	if (!h->span) {
		free(h);
		return NULL;
	}
	return h;
}

void goheap__free(struct goheap *h)
{
	if (!h)
		return;
	free(h->cache);
	free(h->pcs);
	free(h->records);
	free(h->record_read);
	free(h->by_record_addr);
	free(h->span);
	free(h->out);
	free(h->fresh);
	free(h);
}

static int grow(void **array, size_t *cap, size_t need, size_t elem)
{
	size_t new_cap = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return 0;
	while (new_cap < need)
		new_cap *= 2;
	p = realloc(*array, new_cap * elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = new_cap;
	return 0;
}

static int read_counted(struct goheap *h, mem_read_fn read, void *ctx, uint64_t addr, void *buf,
			size_t len)
{
	int err = read(ctx, addr, buf, len);

	if (!err)
		h->bytes_read += len;
	return err;
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t record_addr(const struct cached_bucket *b)
{
	return b->addr + BUCKET_HEADER_SIZE + (uint64_t)b->nr_pcs * sizeof(uint64_t);
}

/* Highest bucket address whose largest possible extent does not wrap. */
#define BUCKET_ADDR_MAX                                                                            \
	(UINT64_MAX -                                                                              \
	 (BUCKET_HEADER_SIZE + BUCKET_MAX_PCS * sizeof(uint64_t) + sizeof(struct mem_record)))

/*
 * Reads the bucket at addr (header, then PCs into the pool) as a fresh
 * entry; *next gets its allnext. A bucket that is not a memProfile bucket
 * is kept as an invalid entry (its allnext is still followed). -EFAULT
 * when the header is unreadable (the walk cannot go on), -ENOMEM.
 */
static int read_new_bucket(struct goheap *h, mem_read_fn read, void *ctx, uint64_t addr,
			   uint64_t *next)
{
	unsigned char header[BUCKET_HEADER_SIZE];
	struct cached_bucket *b;
	uint64_t typ, nstk;
	int err;

	if (addr > BUCKET_ADDR_MAX || read_counted(h, read, ctx, addr, header, sizeof(header)))
		return -EFAULT;
	err = grow((void **)&h->fresh, &h->cap_fresh, h->nr_fresh + 1, sizeof(*h->fresh));
	if (err)
		return err;
	*next = load_u64(header + BUCKET_OFF_ALLNEXT);
	typ = load_u64(header + BUCKET_OFF_TYP);
	nstk = load_u64(header + BUCKET_OFF_NSTK);
	b = &h->fresh[h->nr_fresh++];
	*b = (struct cached_bucket){.addr = addr, .size = load_u64(header + BUCKET_OFF_SIZE)};
	if (typ != BUCKET_TYP_MEMPROFILE || nstk == 0 || nstk > BUCKET_MAX_PCS ||
	    h->nr_pcs + nstk > GOHEAP_MAX_PCS)
		return 0;
	err = grow((void **)&h->pcs, &h->cap_pcs, h->nr_pcs + nstk, sizeof(*h->pcs));
	if (err)
		return err;
	if (read_counted(h, read, ctx, addr + BUCKET_HEADER_SIZE, h->pcs + h->nr_pcs,
			 nstk * sizeof(uint64_t)))
		return 0;
	b->pc_off = h->nr_pcs;
	b->nr_pcs = (uint32_t)nstk;
	b->valid = true;
	h->nr_pcs += nstk;
	return 0;
}

enum walk_end {
	WALK_MET_CACHE, /* reached the cached head: the rest is the cache */
	WALK_NIL,	/* reached the end of the list */
	WALK_ABORTED,	/* unreadable header, loop or too many buckets */
};

struct addr_index {
	uint64_t addr;
	size_t index;
};

static int addr_index_cmp(const void *a, const void *b)
{
	const struct addr_index *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * After a loop: Brent's algorithm went round it more than once, so the
 * walk read some buckets twice. Keeps the walk up to its first repeat.
 */
static int drop_repeated(struct goheap *h, enum walk_end *end)
{
	struct addr_index *sorted = malloc(h->nr_fresh * sizeof(*sorted));
	size_t cut = h->nr_fresh, i;

	*end = WALK_ABORTED;
	if (!sorted)
		return -ENOMEM;
	for (i = 0; i < h->nr_fresh; i++)
		sorted[i] = (struct addr_index){h->fresh[i].addr, i};
	qsort(sorted, h->nr_fresh, sizeof(*sorted), addr_index_cmp);
	for (i = 1; i < h->nr_fresh; i++)
		if (sorted[i].addr == sorted[i - 1].addr && sorted[i].index < cut)
			cut = sorted[i].index;
	free(sorted);
	for (i = cut; i < h->nr_fresh; i++)
		if (h->fresh[i].valid) {
			h->nr_pcs = h->fresh[i].pc_off; /* PCs are appended in walk order */
			break;
		}
	h->nr_fresh = cut;
	return 0;
}

/*
 * Walks from head, reading new buckets into h->fresh until the cached head
 * or nil. Loops are caught with Brent's algorithm (a loop in allnext can
 * only be garbage: the runtime never relinks a bucket).
 */
static int walk_new_buckets(struct goheap *h, mem_read_fn read, void *ctx, uint64_t head,
			    enum walk_end *end)
{
	uint64_t cached_head =
	    h->cache_complete && h->nr_cached ? h->cache[h->nr_cached - 1].addr : 0;
	size_t kept = h->cache_complete ? h->nr_cached : 0;
	uint64_t addr = head, tortoise = head, next;
	size_t power = 1, steps = 0;
	int err;

	h->nr_fresh = 0;
	for (;;) {
		if (!addr) {
			*end = WALK_NIL;
			return 0;
		}
		if (cached_head && addr == cached_head) {
			*end = WALK_MET_CACHE;
			return 0;
		}
		if (h->nr_fresh + kept >= GOHEAP_MAX_BUCKETS)
			break;
		err = read_new_bucket(h, read, ctx, addr, &next);
		if (err == -ENOMEM)
			return err;
		if (err)
			break;
		addr = next;
		if (addr == tortoise)
			return drop_repeated(h, end);
		if (++steps == power) {
			tortoise = addr;
			power *= 2;
			steps = 0;
		}
	}
	*end = WALK_ABORTED;
	return 0;
}

/* Moves the PCs of fresh entries (the tail of the pool) to the pool's start. */
static void compact_fresh_pcs(struct goheap *h)
{
	size_t first = h->nr_pcs, i;

	for (i = 0; i < h->nr_fresh; i++)
		if (h->fresh[i].valid && h->fresh[i].pc_off < first)
			first = h->fresh[i].pc_off;
	if (first == h->nr_pcs) {
		h->nr_pcs = 0;
		return;
	}
	memmove(h->pcs, h->pcs + first, (h->nr_pcs - first) * sizeof(*h->pcs));
	h->nr_pcs -= first;
	for (i = 0; i < h->nr_fresh; i++)
		if (h->fresh[i].valid)
			h->fresh[i].pc_off -= first;
}

/* Puts the walk's buckets into the cache, after the cached ones or instead of them. */
static int update_cache(struct goheap *h, enum walk_end end)
{
	size_t base, i;
	int err;

	if (end != WALK_MET_CACHE) {
		compact_fresh_pcs(h);
		h->nr_cached = 0;
	}
	base = h->nr_cached;
	err = grow((void **)&h->cache, &h->cap_cached, base + h->nr_fresh, sizeof(*h->cache));
	if (err)
		return err;
	for (i = 0; i < h->nr_fresh; i++)
		h->cache[base + i] = h->fresh[h->nr_fresh - 1 - i];
	h->nr_cached = base + h->nr_fresh;
	h->cache_complete = end != WALK_ABORTED;
	if (h->nr_fresh || end != WALK_MET_CACHE)
		h->order_stale = true;
	return 0;
}

static int by_record_addr_cmp(const void *a, const void *b, void *cache)
{
	const struct cached_bucket *c = cache;
	uint64_t ra = record_addr(&c[*(const size_t *)a]), rb = record_addr(&c[*(const size_t *)b]);

	return ra < rb ? -1 : ra > rb;
}

/* The valid buckets' indices in record address order, sorted again only when the cache changed. */
static size_t record_order(struct goheap *h)
{
	size_t i;

	if (!h->order_stale)
		return h->nr_ordered;
	h->nr_ordered = 0;
	for (i = 0; i < h->nr_cached; i++)
		if (h->cache[i].valid)
			h->by_record_addr[h->nr_ordered++] = i;
	if (h->nr_ordered)
		qsort_r(h->by_record_addr, h->nr_ordered, sizeof(*h->by_record_addr),
			by_record_addr_cmp, h->cache);
	h->order_stale = false;
	return h->nr_ordered;
}

/* How many ordered records from first on fit in one span, which ends at *span_end. */
static size_t span_length(const struct goheap *h, const size_t *order, size_t nr, size_t first,
			  uint64_t *span_end)
{
	uint64_t lo = record_addr(&h->cache[order[first]]);
	uint64_t hi = lo + sizeof(struct mem_record);
	size_t n = 1;

	while (first + n < nr) {
		uint64_t r = record_addr(&h->cache[order[first + n]]);

		if (r > hi + SPAN_GAP || r + sizeof(struct mem_record) - lo > SPAN_MAX)
			break;
		if (r + sizeof(struct mem_record) > hi)
			hi = r + sizeof(struct mem_record);
		n++;
	}
	*span_end = hi;
	return n;
}

static void read_one_record(struct goheap *h, mem_read_fn read, void *ctx, size_t i)
{
	h->record_read[i] = !read_counted(h, read, ctx, record_addr(&h->cache[i]), &h->records[i],
					  sizeof(h->records[i]));
}

/* Re-reads every valid bucket's record, nearby ones in one span; unreadable ones are marked. */
static void read_records(struct goheap *h, mem_read_fn read, void *ctx)
{
	size_t nr, first, n, k;

	if (!h->nr_cached)
		return;
	memset(h->record_read, 0, h->nr_cached * sizeof(*h->record_read));
	nr = record_order(h);
	for (first = 0; first < nr; first += n) {
		const size_t *run = h->by_record_addr + first;
		uint64_t lo = record_addr(&h->cache[run[0]]), hi;

		n = span_length(h, h->by_record_addr, nr, first, &hi);
		if (n == 1 || read_counted(h, read, ctx, lo, h->span, hi - lo)) {
			for (k = 0; k < n; k++)
				read_one_record(h, read, ctx, run[k]);
			continue;
		}
		for (k = 0; k < n; k++) {
			memcpy(&h->records[run[k]], h->span + (record_addr(&h->cache[run[k]]) - lo),
			       sizeof(struct mem_record));
			h->record_read[run[k]] = true;
		}
	}
}

static void add_cycle(struct record_cycle *sum, const struct record_cycle *c)
{
	sum->allocs += c->allocs;
	sum->frees += c->frees;
	sum->alloc_bytes += c->alloc_bytes;
	sum->free_bytes += c->free_bytes;
}

/* runtime.MemProfile's view of a record: active + the cycle being flushed, or + every cycle. */
static struct record_cycle fold_record(const struct mem_record *r, uint32_t cycle, bool all_cycles)
{
	struct record_cycle sum = r->active;
	int c;

	if (!all_cycles) {
		add_cycle(&sum, &r->future[cycle % MEMRECORD_CYCLES]);
		return sum;
	}
	for (c = 0; c < MEMRECORD_CYCLES; c++)
		add_cycle(&sum, &r->future[c]);
	return sum;
}

/* Counts that no consistent runtime state produces: negative, or more freed than allocated. */
static bool folded_is_garbage(const struct record_cycle *f)
{
	return (int64_t)f->allocs < 0 || (int64_t)f->frees < 0 || (int64_t)f->alloc_bytes < 0 ||
	       (int64_t)f->free_bytes < 0 || f->frees > f->allocs || f->free_bytes > f->alloc_bytes;
}

/* MemProfile's "clear": no bucket has an alloc or a free as of the last flush. */
static bool profile_is_clear(const struct goheap *h, uint32_t cycle)
{
	size_t i;

	for (i = 0; i < h->nr_cached; i++) {
		struct record_cycle f;

		if (!h->cache[i].valid || !h->record_read[i])
			continue;
		f = fold_record(&h->records[i], cycle, false);
		if (!folded_is_garbage(&f) && (f.allocs || f.frees))
			return false;
	}
	return true;
}

/* Fills h->out, head first like the runtime's list; returns the number of buckets. */
static size_t build_profile(struct goheap *h, struct goheap_profile *out)
{
	size_t n = 0, i;

	out->all_cycles = profile_is_clear(h, out->cycle);
	for (i = h->nr_cached; i-- > 0;) {
		const struct cached_bucket *c = &h->cache[i];
		struct goheap_bucket *b = &h->out[n];
		struct record_cycle f;

		if (!c->valid || !h->record_read[i]) {
			out->nr_invalid++;
			continue;
		}
		f = fold_record(&h->records[i], out->cycle, out->all_cycles);
		if (folded_is_garbage(&f)) {
			out->nr_invalid++;
			continue;
		}
		*b = (struct goheap_bucket){
		    .pcs = h->pcs + c->pc_off, .nr_pcs = c->nr_pcs, .size = c->size};
		goheap__scale((int64_t)f.allocs, (int64_t)f.alloc_bytes, out->rate,
			      &b->alloc_objects, &b->alloc_bytes);
		goheap__scale((int64_t)(f.allocs - f.frees),
			      (int64_t)(f.alloc_bytes - f.free_bytes), out->rate, &b->inuse_objects,
			      &b->inuse_bytes);
		n++;
	}
	return n;
}

static int size_per_read_arrays(struct goheap *h)
{
	size_t need = h->nr_cached, cap;

	if (need <= h->cap_records && need <= h->cap_out)
		return 0;
	cap = h->cap_records;
	if (grow((void **)&h->records, &cap, need, sizeof(*h->records)))
		return -ENOMEM;
	cap = h->cap_records;
	if (grow((void **)&h->record_read, &cap, need, sizeof(*h->record_read)))
		return -ENOMEM;
	cap = h->cap_records;
	if (grow((void **)&h->by_record_addr, &cap, need, sizeof(*h->by_record_addr)))
		return -ENOMEM;
	h->cap_records = cap;
	return grow((void **)&h->out, &h->cap_out, need, sizeof(*h->out));
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int read_globals(struct goheap *h, const struct goheap_globals *g, mem_read_fn read,
			void *ctx, struct goheap_profile *out, uint64_t *head)
{
	uint32_t cycle_word;

	if (read_counted(h, read, ctx, g->memprofilerate, &out->rate, sizeof(out->rate)) ||
	    out->rate < 0)
		return -EFAULT;
	if (!out->rate)
		return 0;
	if (read_counted(h, read, ctx, g->mprofcycle, &cycle_word, sizeof(cycle_word)) ||
	    read_counted(h, read, ctx, g->mbuckets, head, sizeof(*head)))
		return -EFAULT;
	out->cycle = cycle_word >> 1;
	return 0;
}

int goheap__read(struct goheap *h, const struct goheap_globals *g, mem_read_fn read, void *ctx,
		 struct goheap_profile *out)
{
	uint64_t start = now_ns(), head = 0;
	enum walk_end end;
	int err;

	*out = (struct goheap_profile){0};
	h->bytes_read = 0;
	err = read_globals(h, g, read, ctx, out, &head);
	if (err || !out->rate)
		goto done;
	err = walk_new_buckets(h, read, ctx, head, &end);
	if (!err)
		err = update_cache(h, end);
	if (!err)
		err = size_per_read_arrays(h);
	if (err)
		goto done;
	if (end == WALK_ABORTED)
		out->nr_invalid++;
	read_records(h, read, ctx);
	out->nr_buckets = build_profile(h, out);
	out->buckets = h->out;
done:
	out->bytes_read = h->bytes_read;
	out->duration_ns = now_ns() - start;
	return err;
}

int goheap__enable_sampling(const struct goheap_globals *g, mem_write_fn write, void *ctx,
			    int64_t rate)
{
	if (rate <= 0)
		return -EINVAL;
	return write(ctx, g->memprofilerate, &rate, sizeof(rate));
}

/* math.Exp's rounding of its argument reduction: x86's cvtsd2sl. */
static int32_t cvtsd2sl(double v)
{
	double r = nearbyint(v);

	if (!(r >= (double)INT32_MIN && r <= (double)INT32_MAX))
		return INT32_MIN; /* the "integer indefinite" of NaN and out of range */
	return (int32_t)r;
}

static double from_bits(uint64_t bits)
{
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

/* The Taylor series of Go's amd64 math.Exp (math/exp_amd64.s), on x reduced. */
static double go_exp_series(double x, bool use_fma)
{
	static const double coef[] = {2.4801587301587301587e-5,
				      1.9841269841269841270e-4,
				      1.3888888888888888889e-3,
				      8.3333333333333333333e-3,
				      4.1666666666666666667e-2,
				      1.6666666666666666667e-1,
				      0.5,
				      1.0};
	double p = coef[0], y;
	size_t i;
	int k;

	for (i = 1; i < sizeof(coef) / sizeof(coef[0]); i++)
		p = use_fma ? fma(x, p, coef[i]) : p * x + coef[i];
	x *= p;
	for (k = 0; k < 3; k++) {
		y = x + 2.0;
		x *= y;
	}
	y = x + 2.0;
	return use_fma ? fma(y, x, 1.0) : x * y + 1.0;
}

double goheap__go_exp(double x, bool use_fma)
{
	static const double log2e = 1.4426950408889634073599246810018920;
	static const double ln2_hi = 0.69314718055966295651160180568695068359375;
	static const double ln2_lo = 0.28235290563031577122588448175013436025525412068e-12;
	static const double overflow = 7.09782712893384e+02;
	uint64_t bits;
	int32_t e;
	double fe, r;

	memcpy(&bits, &x, sizeof(bits));
	if ((bits & ~(1ull << 63)) >= 0x7ff0000000000000ull)
		return bits == 0xfff0000000000000ull ? 0 : x; /* -Inf → 0; NaN, +Inf as is */
	if (x > overflow)
		return HUGE_VAL;
	e = cvtsd2sl(x * log2e);
	fe = (double)e;
	if (use_fma) {
		x = fma(-fe, ln2_hi, x);
		x = fma(-fe, ln2_lo, x);
	} else {
		x -= fe * ln2_hi;
		x -= fe * ln2_lo;
	}
	r = go_exp_series(x * 0.0625, use_fma);
	/* r × 2^e, the assembly's way (biased exponent, one extra step when subnormal). */
	if ((int64_t)e + 0x3ff > 0) {
		if ((int64_t)e + 0x3ff >= 0x7ff)
			return HUGE_VAL;
		return r * from_bits((uint64_t)(e + 0x3ff) << 52);
	}
	if ((int64_t)e + 0x3ff < -52)
		return 0;
	r *= from_bits((uint64_t)(e + 0x3ff + 0x3fe) << 52);
	return r * from_bits(1ull << 52);
}

/* Which path the target's math.Exp takes: Go uses FMA when the CPU has AVX and FMA. */
static bool go_exp_uses_fma(void)
{
#if defined(__x86_64__)
	return __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
#else
	return false;
#endif
}

static double go_exp(double x)
{
#if defined(__x86_64__)
	return goheap__go_exp(x, go_exp_uses_fma());
#else
	return exp(x); /* other runtimes' math.Exp is not reproduced: may differ in the last bit */
#endif
}

/* Go's int64(f) on amd64 (cvttsd2sq): truncation, and INT64_MIN when out of range. */
static int64_t go_int64(double f)
{
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)f;
}

void goheap__scale(int64_t count, int64_t bytes, int64_t rate, int64_t *scaled_count,
		   int64_t *scaled_bytes)
{
	double avg, scale;

	if (count == 0 || bytes == 0) {
		*scaled_count = 0;
		*scaled_bytes = 0;
		return;
	}
	if (rate <= 1) {
		*scaled_count = count;
		*scaled_bytes = bytes;
		return;
	}
	avg = (double)bytes / (double)count;
	scale = 1 / (1 - go_exp(-avg / (double)rate));
	*scaled_count = go_int64((double)count * scale);
	*scaled_bytes = go_int64((double)bytes * scale);
}
