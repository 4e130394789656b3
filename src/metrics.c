// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "stackid.h"
#include "textsafe.h"

#define LOST_LABEL "[stack lost]"

/* --- label values ----------------------------------------------------------- */

/*
 * A label value as the exposition format wants it: valid UTF-8 (an invalid
 * byte becomes U+FFFD), control characters but the newline shown as '?'
 * (dashboards print these), then `\`, `"` and newline escaped.
 */
static void put_value(FILE *o, const char *s)
{
	enum text_class cls;
	uint32_t cp;
	size_t n;

	while (s && *s) {
		n = textsafe__next(s, &cp, &cls);
		if (cls == TEXT_INVALID)
			fputs(TEXTSAFE_REPLACEMENT, o);
		else if (*s == '\n')
			fputs("\\n", o);
		else if (*s == '\\')
			fputs("\\\\", o);
		else if (*s == '"')
			fputs("\\\"", o);
		else if (cls == TEXT_CONTROL)
			fputc('?', o);
		else
			fwrite(s, 1, n, o);
		s += n;
	}
}

/*
 * The same text cleaned but not escaped, malloc'd: what series are grouped
 * by, so two values that would print the same are one series (no
 * duplicate series in a scrape). NULL: no memory.
 */
static char *clean_value(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);
	enum text_class cls;
	uint32_t cp;
	size_t n;

	if (!o)
		return NULL;
	while (s && *s) {
		n = textsafe__next(s, &cp, &cls);
		if (cls == TEXT_INVALID)
			fputs(TEXTSAFE_REPLACEMENT, o);
		else if (cls == TEXT_CONTROL && *s != '\n')
			fputc('?', o);
		else
			fwrite(s, 1, n, o);
		s += n;
	}
	if (fclose(o)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void put_double(FILE *o, double v)
{
	if (isnan(v))
		fputs("NaN", o);
	else if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", o);
	else
		fprintf(o, "%.15g", v);
}

/* --- leaf and caller -------------------------------------------------------- */

static const char *frame_name(const struct frame *f, char *buf, size_t len)
{
	if (f->symbol && *f->symbol)
		return f->symbol;
	if (f->module && *f->module) {
		snprintf(buf, len, "%s+0x%" PRIx64, f->module, f->offset);
		return buf;
	}
	return "?";
}

const char *metrics__leaf(const struct frame *frames, size_t nr, char *buf, size_t len)
{
	return nr ? frame_name(&frames[0], buf, len) : "?";
}

/* The entry points of the allocators memleakd probes, and wrappers of them. */
static const char *const allocator_symbols[] = {
    "malloc", "calloc", "realloc", "reallocarray", "free", "cfree", "memalign", "aligned_alloc",
    "posix_memalign", "valloc", "pvalloc", "malloc_usable_size", "__libc_malloc", "__libc_calloc",
    "__libc_realloc", "__libc_reallocarray", "__libc_free", "__libc_memalign", "__libc_valloc",
    "__libc_pvalloc", "__posix_memalign", "_int_malloc", "_int_realloc", "_int_memalign",
    "tcache_init", "malloc_hook_ini", "realloc_hook_ini", "memalign_hook_ini", "strdup", "strndup",
    "__strdup", "__strndup", "wcsdup", "mmap", "mmap64", "__mmap", "__mmap64", "mremap", "__mremap",
    /* operator new and new[] (plain, nothrow, aligned, both), as the linker names them */
    "_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t", "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t", "_ZnwmSt11align_val_tRKSt9nothrow_t",
    "_ZnamSt11align_val_tRKSt9nothrow_t", "_Znwj", "_Znaj", "_ZnwjRKSt9nothrow_t",
    "_ZnajRKSt9nothrow_t"};

/* Modules that are an allocator as a whole. */
static const char *const allocator_modules[] = {"libjemalloc", "libtcmalloc", "libmimalloc"};

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool metrics__is_allocator_frame(enum alloc_kind kind, const struct frame *f)
{
	size_t i;

	if (f->module)
		for (i = 0; i < sizeof(allocator_modules) / sizeof(allocator_modules[0]); i++)
			if (starts_with(f->module, allocator_modules[i]))
				return true;
	if (!f->symbol)
		return false;
	if (kind == KIND_GOROUTINE || kind == KIND_GO_HEAP)
		return starts_with(f->symbol, "runtime.");
	/* Demangled: "operator new(unsigned long)", "operator new[](...)". */
	if (starts_with(f->symbol, "operator new") || starts_with(f->symbol, "operator delete"))
		return true;
	for (i = 0; i < sizeof(allocator_symbols) / sizeof(allocator_symbols[0]); i++)
		if (!strcmp(f->symbol, allocator_symbols[i]))
			return true;
	return false;
}

const char *metrics__caller(enum alloc_kind kind, const struct frame *frames, size_t nr, char *buf,
			    size_t len)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (!metrics__is_allocator_frame(kind, &frames[i]))
			return frame_name(&frames[i], buf, len);
	return "?";
}

/* --- series ----------------------------------------------------------------- */

/* One stack of one process (or one tally entry) before merging. */
struct entry {
	const char *exe; /* cleaned */
	const char *comm;
	enum alloc_kind kind;
	uint64_t hash;
	uint64_t bytes, count, nr_procs;
	double rate;
	bool growing;
	const struct frame *frames; /* NULL: the stack was lost */
	size_t nr_frames;
};

/* Entries of one (exe, kind, stack id), summed; labels from the one holding most. */
struct series {
	struct entry sum;
	uint64_t rep_amount;
	size_t nr_entries;
	char *leaf, *caller; /* of the exported ones */
};

struct render {
	FILE *o;
	const struct snapshot *snap;
	const struct metrics_opts *mo;
	char **pool; /* cleaned strings to free */
	size_t nr_pool;
	/* per pid: cleaned exe and comm of the listed processes, sorted by pid */
	struct pinfo {
		int pid;
		const char *exe, *comm;
	} * pinfo;
	size_t nr_pinfo;
	struct series *live, *exited;
	size_t nr_live, nr_exited;
	struct series **live_out, **exited_out; /* exported, in order */
	size_t nr_live_out, nr_exited_out;
	size_t live_out_stacks; /* stacks of processes in the exported live series */
	size_t live_stacks;	/* stacks in any live series (not suppressed) */
};

static const char *pooled(struct render *r, const char *s)
{
	char *c = clean_value(s);
	char **grown;

	if (!c)
		return NULL;
	grown = realloc(r->pool, (r->nr_pool + 1) * sizeof(*grown));
	if (!grown) {
		free(c);
		return NULL;
	}
	r->pool = grown;
	r->pool[r->nr_pool++] = c;
	return c;
}

static int by_pid(const void *a, const void *b)
{
	const struct pinfo *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int index_procs(struct render *r)
{
	const struct snapshot *snap = r->snap;
	size_t i;

	r->pinfo = calloc(snap->nr_procs ? snap->nr_procs : 1, sizeof(*r->pinfo));
	if (!r->pinfo)
		return -ENOMEM;
	for (i = 0; i < snap->nr_procs; i++) {
		struct pinfo *pi = &r->pinfo[i];

		pi->pid = snap->procs[i].pid;
		pi->exe = pooled(r, snap->procs[i].exe);
		pi->comm = pooled(r, snap->procs[i].comm);
		if (!pi->exe || !pi->comm)
			return -ENOMEM;
	}
	r->nr_pinfo = snap->nr_procs;
	qsort(r->pinfo, r->nr_pinfo, sizeof(*r->pinfo), by_pid);
	return 0;
}

static const struct pinfo *pinfo_of(const struct render *r, int pid)
{
	struct pinfo key = {.pid = pid};

	return bsearch(&key, r->pinfo, r->nr_pinfo, sizeof(key), by_pid);
}

/* What a series is ranked by: bytes, or goroutines for that kind. */
static uint64_t amount_of(const struct entry *e)
{
	return alloc_kind__is_bytes(e->kind) ? e->bytes : e->count;
}

static int by_key(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	c = strcmp(x->exe, y->exe);
	if (c)
		return c;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

/* Sorts entries by key and sums those of one key into *out (nr_out). */
static int merge(struct entry *e, size_t nr, struct series **out, size_t *nr_out)
{
	struct series *s = calloc(nr ? nr : 1, sizeof(*s));
	size_t i, n = 0;

	if (!s)
		return -ENOMEM;
	qsort(e, nr, sizeof(*e), by_key);
	for (i = 0; i < nr; i++) {
		struct series *cur = n ? &s[n - 1] : NULL;

		if (!cur || by_key(&cur->sum, &e[i])) {
			cur = &s[n++];
			cur->sum = e[i];
			cur->rep_amount = amount_of(&e[i]);
			cur->nr_entries = 1;
			continue;
		}
		cur->sum.bytes += e[i].bytes;
		cur->sum.count += e[i].count;
		cur->sum.nr_procs += e[i].nr_procs;
		cur->sum.rate += e[i].rate;
		cur->sum.growing = cur->sum.growing || e[i].growing;
		cur->nr_entries++;
		if (amount_of(&e[i]) > cur->rep_amount) {
			cur->rep_amount = amount_of(&e[i]);
			cur->sum.comm = e[i].comm;
			cur->sum.frames = e[i].frames;
			cur->sum.nr_frames = e[i].nr_frames;
		}
	}
	*out = s;
	*nr_out = n;
	return 0;
}

static int live_entries(struct render *r)
{
	const struct snapshot *snap = r->snap;
	struct entry *e = calloc(snap->nr_stacks ? snap->nr_stacks : 1, sizeof(*e));
	size_t i, n = 0;
	int err;

	if (!e)
		return -ENOMEM;
	for (i = 0; i < snap->nr_stacks; i++) {
		const struct snapshot_stack *st = &snap->stacks[i];
		const struct pinfo *pi = pinfo_of(r, (int)st->stats.pid);
		bool lost = st->read_error || !st->nr_frames;

		if (st->suppressed_by)
			continue;
		e[n] = (struct entry){
		    .exe = pi ? pi->exe : "",
		    .comm = pi ? pi->comm : "?",
		    .kind = st->stats.kind,
		    .hash = stackid__hash(st->stats.kind, lost ? NULL : st->frames,
					  lost ? 0 : st->nr_frames),
		    .bytes = st->stats.outstanding_bytes,
		    .count = st->stats.outstanding_count,
		    .nr_procs = 1,
		    .rate = st->hist ? st->hist->trend.rate : 0,
		    .growing = st->hist && st->hist->growing,
		    .frames = lost ? NULL : st->frames,
		    .nr_frames = lost ? 0 : st->nr_frames,
		};
		n++;
	}
	r->live_stacks = n;
	err = merge(e, n, &r->live, &r->nr_live);
	free(e);
	return err;
}

static int exited_entries(struct render *r)
{
	const struct snapshot *snap = r->snap;
	struct entry *e = calloc(snap->nr_exited ? snap->nr_exited : 1, sizeof(*e));
	size_t i;
	int err;

	if (!e)
		return -ENOMEM;
	for (i = 0; i < snap->nr_exited; i++) {
		const struct snapshot_exited *x = &snap->exited[i];
		bool lost = !x->nr_frames || !x->frames;

		e[i] = (struct entry){
		    .exe = pooled(r, x->exe),
		    .comm = pooled(r, x->comm),
		    .kind = x->kind,
		    .hash = x->stack_hash,
		    .bytes = x->bytes,
		    .count = x->count,
		    .nr_procs = x->nr_procs,
		    .rate = x->rate,
		    .growing = x->growing,
		    .frames = lost ? NULL : x->frames,
		    .nr_frames = lost ? 0 : x->nr_frames,
		};
		if (!e[i].exe || !e[i].comm) {
			free(e);
			return -ENOMEM;
		}
	}
	err = merge(e, snap->nr_exited, &r->exited, &r->nr_exited);
	free(e);
	return err;
}

static int by_amount_desc(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;
	uint64_t ax = amount_of(&x->sum), ay = amount_of(&y->sum);

	if (ax != ay)
		return ax > ay ? -1 : 1;
	return by_key(&x->sum, &y->sum);
}

static int by_rate_desc(const void *a, const void *b)
{
	const struct series *x = *(struct series *const *)a, *y = *(struct series *const *)b;

	if (x->sum.rate != y->sum.rate)
		return x->sum.rate > y->sum.rate ? -1 : 1;
	return by_amount_desc(a, b);
}

static int set_labels(struct series *s)
{
	char buf[512];

	if (!s->sum.frames) {
		s->leaf = strdup(LOST_LABEL);
		s->caller = strdup(LOST_LABEL);
	} else {
		s->leaf = strdup(metrics__leaf(s->sum.frames, s->sum.nr_frames, buf, sizeof(buf)));
		if (s->leaf)
			s->caller = strdup(metrics__caller(s->sum.kind, s->sum.frames,
							   s->sum.nr_frames, buf, sizeof(buf)));
	}
	return s->leaf && s->caller ? 0 : -ENOMEM;
}

/*
 * Per kind, the top K by amount, then up to K of the others that grow,
 * fastest first: what is exported, into *out (series sorted by key).
 */
static int select_series(struct series *all, size_t nr, size_t k, struct series ***out,
			 size_t *nr_out)
{
	struct series **sel = calloc(nr ? nr : 1, sizeof(*sel));
	struct series **tmp = calloc(nr ? nr : 1, sizeof(*tmp));
	size_t i, j, n = 0, nk, ng;
	int kind;

	if (!sel || !tmp) {
		free(sel);
		free(tmp);
		return -ENOMEM;
	}
	for (kind = 0; kind < NR_KINDS; kind++) {
		nk = 0;
		for (i = 0; i < nr; i++)
			if ((int)all[i].sum.kind == kind)
				tmp[nk++] = &all[i];
		qsort(tmp, nk, sizeof(*tmp), by_amount_desc);
		for (i = 0; i < nk && i < k; i++)
			sel[n++] = tmp[i];
		ng = 0;
		for (j = i; j < nk; j++)
			if (tmp[j]->sum.growing)
				tmp[i + ng++] = tmp[j];
		qsort(tmp + i, ng, sizeof(*tmp), by_rate_desc);
		for (j = 0; j < ng && j < k; j++)
			sel[n++] = tmp[i + j];
	}
	free(tmp);
	for (i = 0; i < n; i++)
		if (set_labels(sel[i])) {
			free(sel);
			return -ENOMEM;
		}
	*out = sel;
	*nr_out = n;
	return 0;
}

static void free_series(struct series *s, size_t nr)
{
	size_t i;

	for (i = 0; s && i < nr; i++) {
		free(s[i].leaf);
		free(s[i].caller);
	}
	free(s);
}

/* --- families --------------------------------------------------------------- */

static void family(FILE *o, const char *name, const char *type, const char *help)
{
	fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void proc_labels(FILE *o, const char *name, const struct snapshot_proc *p)
{
	fprintf(o, "%s{pid=\"%d\",process=\"", name, p->pid);
	put_value(o, p->comm);
	fputs("\",exe=\"", o);
	put_value(o, p->exe);
	fputc('"', o);
}

static void stack_labels(FILE *o, const char *name, const struct series *s)
{
	char id[17];

	fprintf(o, "%s{exe=\"", name);
	put_value(o, s->sum.exe);
	fputs("\",process=\"", o);
	put_value(o, s->sum.comm);
	fprintf(o, "\",kind=\"%s\",stack_id=\"%s\",leaf=\"", alloc_kind__name(s->sum.kind),
		stackid__format(s->sum.hash, id));
	put_value(o, s->leaf);
	fputs("\",caller=\"", o);
	put_value(o, s->caller);
	fputs("\"} ", o);
}

/* What a per-process family shows of one process (and kind). */
enum proc_field {
	PF_BYTES,
	PF_ALLOCATIONS,
	PF_ALLOCS_TOTAL,
	PF_FREES_TOTAL,
	PF_ALLOC_BYTES_TOTAL,
	PF_FREE_BYTES_TOTAL,
	PF_GOROUTINES,
	PF_GROWING,
	PF_RSS,
	PF_ANON,
	PF_UNTRACKED,
	PF_UNTRACKED_RATE,
	PF_UNTRACKED_GROWING,
};

static const struct proc_family {
	enum proc_field field;
	const char *name, *type, *help;
} proc_families[] = {
    {PF_BYTES, "memleakd_process_outstanding_bytes", "gauge",
     "Bytes a process holds in live blocks memleakd tracks, by kind (malloc, mmap, go-heap), "
     "suppressed stacks included."},
    {PF_ALLOCATIONS, "memleakd_process_outstanding_allocations", "gauge",
     "Live blocks a process holds, by kind."},
    {PF_ALLOCS_TOTAL, "memleakd_process_allocations_total", "counter",
     "Allocations of a process since memleakd attached (malloc, mmap, go-heap stacks)."},
    {PF_FREES_TOTAL, "memleakd_process_frees_total", "counter",
     "Frees of tracked blocks of a process since memleakd attached."},
    {PF_ALLOC_BYTES_TOTAL, "memleakd_process_allocated_bytes_total", "counter",
     "Bytes a process allocated since memleakd attached."},
    {PF_FREE_BYTES_TOTAL, "memleakd_process_freed_bytes_total", "counter",
     "Bytes of tracked blocks a process freed since memleakd attached."},
    {PF_GOROUTINES, "memleakd_process_goroutines", "gauge",
     "User goroutines of a Go process by the last census."},
    {PF_GROWING, "memleakd_process_growing_stacks", "gauge",
     "Live stacks of a process whose outstanding memory the trend test flags as growing."},
    {PF_RSS, "memleakd_process_rss_bytes", "gauge",
     "Resident memory of a process (smaps_rollup Rss)."},
    {PF_ANON, "memleakd_process_anon_bytes", "gauge",
     "Anonymous memory of a process (smaps_rollup Anonymous)."},
    {PF_UNTRACKED, "memleakd_process_untracked_bytes", "gauge",
     "Anonymous memory minus the bytes memleakd tracks for a process (may be negative)."},
    {PF_UNTRACKED_RATE, "memleakd_process_untracked_growth_bytes_per_second", "gauge",
     "Growth of the untracked bytes over the growth window."},
    {PF_UNTRACKED_GROWING, "memleakd_process_untracked_growing", "gauge",
     "1 when the trend test flags the untracked bytes as growing."},
};

/* The kinds memleakd_process_outstanding_* show: every byte kind. */
static const enum alloc_kind byte_kinds[] = {KIND_MALLOC, KIND_MMAP, KIND_GO_HEAP};

static void proc_sample(FILE *o, const struct proc_family *f, const struct snapshot_proc *p)
{
	const struct snapshot_memview *m = &p->mem;
	size_t k;

	switch (f->field) {
	case PF_BYTES:
	case PF_ALLOCATIONS:
		for (k = 0; k < sizeof(byte_kinds) / sizeof(byte_kinds[0]); k++) {
			enum alloc_kind kind = byte_kinds[k];

			/* malloc always; the others when the process has any */
			if (kind != KIND_MALLOC && !p->kind_count[kind] && !p->kind_bytes[kind])
				continue;
			proc_labels(o, f->name, p);
			fprintf(o, ",kind=\"%s\"} %" PRIu64 "\n", alloc_kind__name(kind),
				f->field == PF_BYTES ? p->kind_bytes[kind] : p->kind_count[kind]);
		}
		return;
	case PF_GOROUTINES:
		if (!p->go)
			return;
		proc_labels(o, f->name, p);
		fprintf(o, "} %" PRIu64 "\n", p->go->goroutines);
		return;
	case PF_RSS:
	case PF_ANON:
	case PF_UNTRACKED:
	case PF_UNTRACKED_RATE:
	case PF_UNTRACKED_GROWING:
		if (!m->valid)
			return;
		proc_labels(o, f->name, p);
		fputs("} ", o);
		if (f->field == PF_RSS)
			fprintf(o, "%" PRIu64, m->rss_bytes);
		else if (f->field == PF_ANON)
			fprintf(o, "%" PRIu64, m->anon_bytes);
		else if (f->field == PF_UNTRACKED)
			fprintf(o, "%" PRId64, m->gap_bytes);
		else if (f->field == PF_UNTRACKED_RATE)
			put_double(o, m->gap_rate);
		else
			fputc(m->gap_growing ? '1' : '0', o);
		fputc('\n', o);
		return;
	default:
		break;
	}
	proc_labels(o, f->name, p);
	fputs("} ", o);
	switch (f->field) {
	case PF_ALLOCS_TOTAL:
		fprintf(o, "%" PRIu64, p->alloc_count);
		break;
	case PF_FREES_TOTAL:
		fprintf(o, "%" PRIu64, p->free_count);
		break;
	case PF_ALLOC_BYTES_TOTAL:
		fprintf(o, "%" PRIu64, p->alloc_bytes);
		break;
	case PF_FREE_BYTES_TOTAL:
		fprintf(o, "%" PRIu64, p->free_bytes);
		break;
	default:
		fprintf(o, "%zu", p->nr_growing);
		break;
	}
	fputc('\n', o);
}

static void render_procs(struct render *r)
{
	size_t f, i;

	for (f = 0; f < sizeof(proc_families) / sizeof(proc_families[0]); f++) {
		family(r->o, proc_families[f].name, proc_families[f].type, proc_families[f].help);
		for (i = 0; i < r->snap->nr_procs; i++)
			proc_sample(r->o, &proc_families[f], &r->snap->procs[i]);
	}
}

#define BOUND_HELP                                                                                 \
	" Per kind: the K series (--metrics-top) with the most bytes (goroutines: the most "       \
	"goroutines), plus up to K more that grow, fastest first."

enum stack_field { SF_BYTES, SF_COUNT, SF_RATE, SF_GROWING, SF_PROCS };

static void stack_family(struct render *r, struct series **sel, size_t nr, const char *name,
			 const char *type, const char *help, enum stack_field field)
{
	size_t i;

	family(r->o, name, type, help);
	for (i = 0; i < nr; i++) {
		const struct series *s = sel[i];

		/* Bytes are no figure of goroutines: their count and verdict only. */
		if (!alloc_kind__is_bytes(s->sum.kind) && (field == SF_BYTES || field == SF_RATE))
			continue;
		stack_labels(r->o, name, s);
		switch (field) {
		case SF_BYTES:
			fprintf(r->o, "%" PRIu64, s->sum.bytes);
			break;
		case SF_COUNT:
			fprintf(r->o, "%" PRIu64, s->sum.count);
			break;
		case SF_RATE:
			put_double(r->o, s->sum.rate);
			break;
		case SF_GROWING:
			fputc(s->sum.growing ? '1' : '0', r->o);
			break;
		case SF_PROCS:
			fprintf(r->o, "%" PRIu64, s->sum.nr_procs);
			break;
		}
		fputc('\n', r->o);
	}
}

static void render_stacks(struct render *r)
{
	struct series **s = r->live_out;
	size_t n = r->nr_live_out;

	stack_family(r, s, n, "memleakd_stack_outstanding_bytes", "gauge",
		     "Outstanding bytes of a stack, summed over the processes of one executable "
		     "(suppressed stacks are left out; goroutine stacks have no bytes)." BOUND_HELP,
		     SF_BYTES);
	stack_family(r, s, n, "memleakd_stack_outstanding_allocations", "gauge",
		     "Live blocks of a stack (goroutine stacks: live goroutines), summed over the "
		     "processes of one executable (suppressed stacks are left out)." BOUND_HELP,
		     SF_COUNT);
	stack_family(r, s, n, "memleakd_stack_growth_bytes_per_second", "gauge",
		     "Growth of a stack's outstanding bytes (Theil-Sen slope over the window), "
		     "summed over the processes of one executable." BOUND_HELP,
		     SF_RATE);
	stack_family(r, s, n, "memleakd_stack_growing", "gauge",
		     "1 when the trend test flags a stack as growing in any process of the "
		     "executable." BOUND_HELP,
		     SF_GROWING);
}

static void render_exited(struct render *r)
{
	struct series **s = r->exited_out;
	size_t n = r->nr_exited_out;

	stack_family(r, s, n, "memleakd_exited_left_bytes", "gauge",
		     "Bytes exited processes of an executable left allocated on a stack when they "
		     "exited, summed since memleakd started (--max-exited-stacks bounds the "
		     "tally)." BOUND_HELP,
		     SF_BYTES);
	stack_family(r, s, n, "memleakd_exited_left_allocations", "gauge",
		     "Blocks exited processes left allocated on a stack, summed." BOUND_HELP,
		     SF_COUNT);
	stack_family(r, s, n, "memleakd_exited_processes", "gauge",
		     "Exited processes that left blocks on a stack." BOUND_HELP, SF_PROCS);
	stack_family(
	    r, s, n, "memleakd_exited_growth_bytes_per_second", "gauge",
	    "Growth of the bytes left at exit on a stack over the growth window." BOUND_HELP,
	    SF_RATE);
	stack_family(r, s, n, "memleakd_exited_growing", "gauge",
		     "1 when the trend test flags the bytes left at exit on a stack as "
		     "growing." BOUND_HELP,
		     SF_GROWING);
}

/* Every loss: the BPF side's counters that are losses, then userspace's. */
static void render_losses(struct render *r)
{
	const struct snapshot *snap = r->snap;
	const uint64_t *c = snap->counters;
	const struct user_losses *l = &snap->losses;
	const struct {
		const char *reason;
		uint64_t value;
	} rows[] = {
	    {"ringbuf_drops", c[ML_CNT_RB_DROPS]},
	    {"stack_failures", c[ML_CNT_STACK_FAIL]},
	    {"stash_misses", c[ML_CNT_STASH_MISS]},
	    {"stash_full", c[ML_CNT_STASH_FULL]},
	    {"stale_stashes", c[ML_CNT_STASH_STALE]},
	    {"failed_reallocs", c[ML_CNT_REALLOC_FAILED]},
	    {"memptr_faults", c[ML_CNT_MEMPTR_FAULT]},
	    {"unwind_faults", c[ML_CNT_UNWIND_FAULT]},
	    {"depth_cuts", c[ML_CNT_UNWIND_DEPTH]},
	    {"unwind_busy", c[ML_CNT_STACK_NESTED]},
	    {"sample_full", c[ML_CNT_SAMPLE_FULL]},
	    {"children_not_followed", c[ML_CNT_TARGETS_FULL]},
	    {"execs_not_held", c[ML_CNT_EXEC_NOT_HELD]},
	    {"lifecycle_records_lost", c[ML_CNT_LIFE_LOST]},
	    {"exit_records_lost", c[ML_CNT_EXIT_LOST]},
	    {"exec_holds_expired", c[ML_CNT_HOLD_EXPIRED]},
	    {"go_unreadable", c[ML_CNT_GO_UNREADABLE]},
	    {"missed_frees", snap->totals.missed_frees},
	    {"attach_failures", snap->attach_failures},
	    {"table_failures", l->table_failures},
	    {"stack_ids_full", l->stack_ids_full},
	    {"go_exits_unseen_birth", l->go_exits_unseen_birth},
	    {"go_creates_missed", l->go_creates_missed},
	    {"go_exits_missed", l->go_exits_missed},
	    {"go_census_unreadable", l->go_census_unreadable},
	    {"exited_stacks_evicted", l->exited_stacks_evicted},
	    {"exited_stacks_cut", l->exited_stacks_cut},
	};
	size_t i;

	family(r->o, "memleakd_losses_total", "counter",
	       "Allocations, frees, stacks or records memleakd missed, by reason (README: Loss "
	       "counters; reasons as in the JSON losses object).");
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		fprintf(r->o, "memleakd_losses_total{reason=\"%s\"} %" PRIu64 "\n", rows[i].reason,
			rows[i].value);
	family(r->o, "memleakd_evictions_total", "counter",
	       "Entries the caps of a long run dropped: exited_stacks_evicted (the left-at-exit "
	       "tally past --max-exited-stacks), exited_stacks_cut (stacks of an exiting "
	       "process past the per-process cap).");
	fprintf(r->o, "memleakd_evictions_total{what=\"exited_stacks_evicted\"} %" PRIu64 "\n",
		l->exited_stacks_evicted);
	fprintf(r->o, "memleakd_evictions_total{what=\"exited_stacks_cut\"} %" PRIu64 "\n",
		l->exited_stacks_cut);
}

static void gauge(FILE *o, const char *name, const char *help, double v)
{
	family(o, name, "gauge", help);
	fprintf(o, "%s ", name);
	put_double(o, v);
	fputc('\n', o);
}

static void render_globals(struct render *r)
{
	const struct snapshot *snap = r->snap;
	size_t i, live = 0;

	for (i = 0; i < snap->nr_procs; i++)
		live += !snap->procs[i].exited;
	gauge(r->o, "memleakd_tracked_processes",
	      "Live processes memleakd traces (of those listed in the snapshot).", (double)live);
	gauge(r->o, "memleakd_omitted_processes",
	      "Processes past the snapshot's 1000-process listing cap: in no per-process series.",
	      (double)snap->nr_procs_omitted);
	gauge(r->o, "memleakd_live_stacks", "Stacks (per process) holding outstanding memory.",
	      (double)snap->nr_live_stacks);
	gauge(r->o, "memleakd_exported_stacks",
	      "Series of memleakd_stack_outstanding_allocations in this scrape.",
	      (double)r->nr_live_out);
	gauge(r->o, "memleakd_omitted_stacks",
	      "Live stacks (per process) in no stack series: past --metrics-top, past the "
	      "snapshot's stack cap or hidden by --comm/--min-bytes (suppressed ones excluded).",
	      (double)(snap->nr_live_stacks > r->live_out_stacks + snap->nr_suppressed
			   ? snap->nr_live_stacks - r->live_out_stacks - snap->nr_suppressed
			   : 0));
	gauge(r->o, "memleakd_exited_omitted_stacks",
	      "Entries of the left-at-exit tally in no memleakd_exited_* series (past the "
	      "snapshot's cap or --metrics-top).",
	      (double)(snap->nr_exited_omitted + (r->nr_exited - r->nr_exited_out)));
	gauge(r->o, "memleakd_snapshot_timestamp_seconds",
	      "Unix time of the snapshot these figures are from.", (double)snap->wall_time_s);
	gauge(r->o, "memleakd_interval_seconds", "Seconds between snapshots (-i).",
	      snap->interval_s);
}

static void render_self(FILE *o, const struct snapshot_self *self)
{
	family(o, "process_cpu_seconds_total", "counter",
	       "Total user and system CPU time spent in seconds.");
	fputs("process_cpu_seconds_total ", o);
	put_double(o, self->cpu_s);
	fputc('\n', o);
	gauge(o, "process_resident_memory_bytes", "Resident memory size in bytes.",
	      (double)self->rss_bytes);
	gauge(o, "process_start_time_seconds",
	      "Start time of the process since unix epoch in seconds.", self->start_time_s);
}

static void render_build_info(FILE *o, const char *version)
{
	family(o, "memleakd_build_info", "gauge", "Always 1; the version of memleakd serving.");
	fputs("memleakd_build_info{version=\"", o);
	put_value(o, version ? version : "unknown");
	fputs("\"} 1\n", o);
}

static int prepare(struct render *r)
{
	size_t k = r->mo->top ? r->mo->top : 20, i;
	int err;

	err = index_procs(r);
	if (!err)
		err = live_entries(r);
	if (!err)
		err = exited_entries(r);
	if (!err)
		err = select_series(r->live, r->nr_live, k, &r->live_out, &r->nr_live_out);
	if (!err)
		err = select_series(r->exited, r->nr_exited, k, &r->exited_out, &r->nr_exited_out);
	for (i = 0; !err && i < r->nr_live_out; i++)
		r->live_out_stacks += r->live_out[i]->nr_entries;
	return err;
}

static void release(struct render *r)
{
	size_t i;

	for (i = 0; i < r->nr_pool; i++)
		free(r->pool[i]);
	free(r->pool);
	free(r->pinfo);
	free_series(r->live, r->nr_live);
	free_series(r->exited, r->nr_exited);
	free(r->live_out);
	free(r->exited_out);
}

int metrics__render(const struct snapshot *snap, const struct metrics_opts *mo, char **text,
		    size_t *len)
{
	struct render r = {.snap = snap, .mo = mo};
	int err = 0;

	*text = NULL;
	*len = 0;
	r.o = open_memstream(text, len);
	if (!r.o)
		return -ENOMEM;
	render_build_info(r.o, mo->version);
	if (snap) {
		err = prepare(&r);
		if (!err) {
			render_globals(&r);
			render_self(r.o, &snap->self);
			render_losses(&r);
			render_procs(&r);
			render_stacks(&r);
			render_exited(&r);
		}
		release(&r);
	}
	if (fclose(r.o) && !err)
		err = -ENOMEM;
	if (err) {
		free(*text);
		*text = NULL;
		*len = 0;
	}
	return err;
}
