// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "memview.h"

/* --- parsing ------------------------------------------------------------------ */

struct field {
	const char *name;
	size_t offset; /* into struct memview_reading */
	bool required;
};

#define FIELD(name, member, required)                                                              \
	{                                                                                          \
		name, offsetof(struct memview_reading, member), required                           \
	}

static const struct field rollup_fields[] = {
    FIELD("Rss", rss_bytes, true),
    FIELD("Anonymous", anon_bytes, true),
    FIELD("Pss_Anon", pss_anon_bytes, false),
    FIELD("Private_Dirty", private_dirty_bytes, false),
    FIELD("Swap", swap_bytes, false),
};

static const struct field status_fields[] = {
    FIELD("VmRSS", rss_bytes, true),
    FIELD("RssAnon", anon_bytes, true),
    FIELD("VmSwap", swap_bytes, false),
};

#define MAX_FIELDS 8

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "   1234 kB" (after the colon) up to end: bytes, or -EINVAL / -ERANGE. */
static int parse_kb(const char *p, const char *end, uint64_t *bytes)
{
	uint64_t kb = 0;
	size_t digits = 0;

	while (p < end && is_blank(*p))
		p++;
	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (kb > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		kb = kb * 10 + (uint64_t)(*p - '0');
	}
	if (!digits)
		return -EINVAL;
	while (p < end && is_blank(*p))
		p++;
	if (end - p < 2 || p[0] != 'k' || p[1] != 'B')
		return -EINVAL;
	for (p += 2; p < end && is_blank(*p); p++)
		;
	if (p != end)
		return -EINVAL;
	if (kb > UINT64_MAX / 1024)
		return -ERANGE;
	*bytes = kb * 1024;
	return 0;
}

/* The fields of text into out, seen[] marking those found. 0, -EINVAL or -ERANGE. */
static int parse_lines(const char *text, size_t len, const struct field *fields, size_t nr,
		       struct memview_reading *out, bool *seen)
{
	const char *line = text, *end = text + len, *eol, *colon;
	size_t i, name_len;
	int err;

	for (; line < end; line = eol + 1) {
		eol = memchr(line, '\n', (size_t)(end - line));
		if (!eol)
			eol = end;
		colon = memchr(line, ':', (size_t)(eol - line));
		if (!colon)
			continue;
		name_len = (size_t)(colon - line);
		for (i = 0; i < nr; i++) {
			if (strlen(fields[i].name) != name_len ||
			    memcmp(fields[i].name, line, name_len))
				continue;
			if (seen[i])
				return -EINVAL; /* twice: not a file the kernel wrote */
			err =
			    parse_kb(colon + 1, eol, (uint64_t *)((char *)out + fields[i].offset));
			if (err)
				return err;
			seen[i] = true;
			break;
		}
		if (eol == end)
			break;
	}
	return 0;
}

static int parse_fields(const char *text, size_t len, const struct field *fields, size_t nr,
			struct memview_reading *out)
{
	bool seen[MAX_FIELDS] = {false};
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (!text)
		return -EINVAL;
	err = parse_lines(text, len, fields, nr, out, seen);
	for (i = 0; !err && i < nr; i++)
		if (fields[i].required && !seen[i])
			err = -EINVAL;
	if (err)
		memset(out, 0, sizeof(*out)); /* never half a reading */
	return err;
}

int memview__parse_rollup(const char *text, size_t len, struct memview_reading *out)
{
	return parse_fields(text, len, rollup_fields,
			    sizeof(rollup_fields) / sizeof(rollup_fields[0]), out);
}

int memview__parse_status(const char *text, size_t len, struct memview_reading *out)
{
	int err = parse_fields(text, len, status_fields,
			       sizeof(status_fields) / sizeof(status_fields[0]), out);

	out->from_status = !err;
	return err;
}

/* --- the gap's series ---------------------------------------------------------- */

struct series {
	int64_t gap[TREND_MAX_WINDOW]; /* oldest first */
	uint64_t tracked[TREND_MAX_WINDOW];
	size_t nr;
	bool candidate;	    /* the trend criteria held at the last reading */
	bool rollup_slow;   /* read through status: smaps_rollup took too long */
	unsigned int epoch; /* of the last reading (memview__sweep) */
	struct memview_verdict verdict;
};

struct memview {
	struct hmap pids; /* pid -> struct series */
	size_t window;
	struct trend_params params;
	unsigned int epoch;
};

static struct hmap_key key_of(uint32_t pid)
{
	return (struct hmap_key){.a = pid, .b = 0};
}

struct memview *memview__new(size_t window, const struct trend_params *params)
{
	struct memview *mv;

	if (window < 2 || window > TREND_MAX_WINDOW || !params) {
		errno = EINVAL;
		return NULL;
	}
	mv = calloc(1, sizeof(*mv));
	if (!mv)
		return NULL;
	hmap__init(&mv->pids, sizeof(struct series));
	mv->window = window;
	mv->params = *params;
	if (mv->params.min_rate < MEMVIEW_MIN_RATE)
		mv->params.min_rate = MEMVIEW_MIN_RATE;
	return mv;
}

void memview__destroy(struct memview *mv)
{
	if (!mv)
		return;
	hmap__free(&mv->pids);
	free(mv);
}

/* The trend test takes unsigned values: the gap (which may be negative) less its minimum. */
static void judge(const struct memview *mv, struct series *s, bool go)
{
	uint64_t shifted[TREND_MAX_WINDOW];
	struct trend gap_trend, tracked_trend;
	struct trend_params params = mv->params;
	int64_t lo = s->gap[0];
	double share;
	bool candidate;
	size_t i;

	for (i = 1; i < s->nr; i++)
		lo = s->gap[i] < lo ? s->gap[i] : lo;
	for (i = 0; i < s->nr; i++)
		shifted[i] = (uint64_t)s->gap[i] - (uint64_t)lo;
	/* Not faster than a small-block leak's overhead: that is the leak's, shown already. */
	trend__evaluate(s->tracked, s->nr, &mv->params, &tracked_trend);
	share = go ? MEMVIEW_GO_TRACKED_SHARE : MEMVIEW_TRACKED_SHARE;
	if (tracked_trend.rate * share > params.min_rate)
		params.min_rate = tracked_trend.rate * share;
	trend__evaluate(shifted, s->nr, &params, &gap_trend);
	candidate = gap_trend.growing;
	s->verdict.gap_bytes = s->gap[s->nr - 1];
	s->verdict.gap_rate = gap_trend.rate;
	s->verdict.tracked_rate = tracked_trend.rate;
	s->verdict.nr_values = s->nr;
	/* Two readings in a row, as for a stack: a chance run of noisy values rarely lasts. */
	s->verdict.growing = candidate && s->candidate;
	s->candidate = candidate;
}

/* anon - tracked, saturated to int64 (sizes from /proc are bounded by 2^64, not 2^63). */
int64_t memview__gap(uint64_t anon, uint64_t tracked)
{
	if (anon >= tracked)
		return anon - tracked > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)(anon - tracked);
	return tracked - anon > (uint64_t)INT64_MAX ? -INT64_MAX : -(int64_t)(tracked - anon);
}

int memview__record(struct memview *mv, uint32_t pid, uint64_t anon_bytes, uint64_t tracked_bytes,
		    bool go, struct memview_verdict *out)
{
	struct series *s;
	bool fresh;

	s = hmap__put(&mv->pids, key_of(pid), &fresh);
	if (!s)
		return -ENOMEM;
	if (s->nr >= mv->window) {
		memmove(s->gap, s->gap + 1, (mv->window - 1) * sizeof(s->gap[0]));
		memmove(s->tracked, s->tracked + 1, (mv->window - 1) * sizeof(s->tracked[0]));
		s->nr = mv->window - 1;
	}
	s->gap[s->nr] = memview__gap(anon_bytes, tracked_bytes);
	s->tracked[s->nr] = tracked_bytes;
	s->nr++;
	s->epoch = mv->epoch;
	judge(mv, s, go);
	if (out)
		*out = s->verdict;
	return 0;
}

bool memview__rollup_wanted(const struct memview *mv, uint32_t pid)
{
	const struct series *s = hmap__get(&mv->pids, key_of(pid));

	return !s || !s->rollup_slow;
}

void memview__rollup_cost(struct memview *mv, uint32_t pid, double seconds)
{
	struct series *s;
	bool fresh;

	if (!(seconds > MEMVIEW_ROLLUP_SLOW_S))
		return;
	s = hmap__put(&mv->pids, key_of(pid), &fresh);
	if (!s)
		return; /* out of memory: read it again next time */
	s->rollup_slow = true;
	s->epoch = mv->epoch;
}

bool memview__get(const struct memview *mv, uint32_t pid, struct memview_verdict *out)
{
	const struct series *s = hmap__get(&mv->pids, key_of(pid));

	if (!s || !s->nr)
		return false;
	*out = s->verdict;
	return true;
}

void memview__drop_pid(struct memview *mv, uint32_t pid)
{
	hmap__del(&mv->pids, key_of(pid));
}

static bool stale(void *ctx, struct hmap_key key, void *value)
{
	(void)key;
	return ((const struct series *)value)->epoch != *(const unsigned int *)ctx;
}

void memview__sweep(struct memview *mv)
{
	hmap__del_if(&mv->pids, stale, &mv->epoch);
	mv->epoch++;
}

size_t memview__nr_pids(const struct memview *mv)
{
	return hmap__nr(&mv->pids);
}

/* --- hints ---------------------------------------------------------------------- */

#define SAMPLED_NOTE                                                                               \
	"; with --sample-bytes, tracked memory is an estimate from samples, so a small gap "       \
	"trend can be sampling noise"

#define HINT_C                                                                                     \
	"memory is growing outside malloc: anonymous mmap (run with --mmap to trace it), a "       \
	"custom allocator or arena, or fragmentation (malloc_trim/MALLOC_ARENA_MAX)"
#define HINT_C_MMAP                                                                                \
	"memory is growing outside what memleakd traces: a custom allocator, memory mapped "       \
	"by syscalls memleakd does not see, thread stacks, or fragmentation"
#define HINT_GO                                                                                    \
	"memory is growing outside the Go heap profile: the runtime's own structures, GC "         \
	"headroom (GOGC), goroutine stacks, or cgo/C memory"

const char *memview__hint(bool go, bool mmap_traced, bool sampled)
{
	if (go)
		return sampled ? HINT_GO SAMPLED_NOTE : HINT_GO;
	if (mmap_traced)
		return sampled ? HINT_C_MMAP SAMPLED_NOTE : HINT_C_MMAP;
	return sampled ? HINT_C SAMPLED_NOTE : HINT_C;
}
