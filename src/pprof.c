// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "array.h"
#include "hmap.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "stackid.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__ValueType ValueType;

/* The dense id (1-based) of (a, b) in index; *fresh when just assigned. 0 when out of memory. */
static uint64_t index_get(struct hmap *index, uint64_t a, uint64_t b, bool *fresh)
{
	uint64_t *id = hmap__put(index, (struct hmap_key){a, b}, fresh);

	if (!id)
		return 0;
	if (*fresh)
		*id = hmap__nr(index);
	return *id;
}

static uint64_t hash_string(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* Everything being built; arrays grow as ids are handed out. */
struct builder {
	Profile profile;
	struct hmap strings, functions, locations, mappings; /* key -> id */
	char **string_table;
	size_t strings_cap;
	Function **functions_list;
	Location **locations_list;
	Mapping **mappings_list;
	size_t functions_cap, locations_cap, mappings_cap;
	int err;
};

/* String table index of text (hash collisions are told apart by comparing). */
static int64_t string_id(struct builder *b, const char *text)
{
	uint64_t h = hash_string(text ? text : ""), salt;
	bool fresh;
	uint64_t id;

	for (salt = 0;; salt++) {
		id = index_get(&b->strings, h, salt, &fresh);
		if (!id) {
			b->err = -ENOMEM;
			return 0;
		}
		if (fresh) {
			if (ARRAY_RESERVE(b->string_table, b->strings_cap, id, 256)) {
				b->err = -ENOMEM;
				return 0;
			}
			b->string_table[id - 1] = strdup(text ? text : "");
			if (!b->string_table[id - 1])
				b->err = -ENOMEM;
			b->profile.n_string_table = id;
			return (int64_t)id - 1;
		}
		if (!strcmp(b->string_table[id - 1], text ? text : ""))
			return (int64_t)id - 1;
	}
}

static uint64_t function_id(struct builder *b, const struct frame *f)
{
	int64_t name = string_id(b, f->symbol ? f->symbol : f->module ? f->module : "[unknown]");
	int64_t file = string_id(b, f->file);
	bool fresh;
	uint64_t id = index_get(&b->functions, (uint64_t)name, (uint64_t)file, &fresh);
	Function *fn;

	if (!id || !fresh)
		return id;
	if (ARRAY_RESERVE(b->functions_list, b->functions_cap, id, 256) ||
	    !(fn = calloc(1, sizeof(*fn)))) {
		b->err = -ENOMEM;
		return 0;
	}
	perftools__profiles__function__init(fn);
	fn->id = id;
	fn->name = name;
	fn->system_name = name;
	fn->filename = file;
	b->functions_list[id - 1] = fn;
	b->profile.n_function = id;
	return id;
}

static uint64_t mapping_id(struct builder *b, uint32_t pid, const struct frame *f)
{
	bool fresh;
	uint64_t id;
	Mapping *m;

	if (!f->map_limit)
		return 0;
	id = index_get(&b->mappings, pid, f->map_start, &fresh);
	if (!id || !fresh)
		return id;
	if (ARRAY_RESERVE(b->mappings_list, b->mappings_cap, id, 256) ||
	    !(m = calloc(1, sizeof(*m)))) {
		b->err = -ENOMEM;
		return 0;
	}
	perftools__profiles__mapping__init(m);
	m->id = id;
	m->memory_start = f->map_start;
	m->memory_limit = f->map_limit;
	m->file_offset = f->map_offset;
	m->filename = string_id(b, f->module);
	m->build_id = string_id(b, f->build_id && f->build_id[0] ? f->build_id : "");
	m->has_functions = f->symbol != NULL;
	m->has_filenames = f->file != NULL;
	m->has_line_numbers = f->file != NULL;
	m->has_inline_frames = true;
	b->mappings_list[id - 1] = m;
	b->profile.n_mapping = id;
	return id;
}

/* frames[0..n): inlined ones, then the frame with the address. One Location. */
static uint64_t location_id(struct builder *b, uint32_t pid, const struct frame *frames, size_t n)
{
	const struct frame *base = &frames[n - 1];
	bool fresh;
	uint64_t id = index_get(&b->locations, ((uint64_t)pid << 1) | 1, base->addr, &fresh);
	Location *loc;
	size_t i;

	if (!id || !fresh)
		return id;
	if (ARRAY_RESERVE(b->locations_list, b->locations_cap, id, 256) ||
	    !(loc = calloc(1, sizeof(*loc)))) {
		b->err = -ENOMEM;
		return 0;
	}
	perftools__profiles__location__init(loc);
	loc->line = calloc(n, sizeof(*loc->line));
	b->locations_list[id - 1] = loc;
	b->profile.n_location = id;
	if (!loc->line) {
		b->err = -ENOMEM;
		return 0;
	}
	loc->id = id;
	loc->mapping_id = mapping_id(b, pid, base);
	loc->address = base->addr;
	for (i = 0; i < n; i++) {
		Line *line = calloc(1, sizeof(*line));

		if (!line) {
			b->err = -ENOMEM;
			return 0;
		}
		perftools__profiles__line__init(line);
		line->function_id = function_id(b, &frames[i]);
		line->line = frames[i].line;
		loc->line[loc->n_line++] = line;
	}
	return id;
}

static Label *label(struct builder *b, const char *key, const char *str, int64_t num)
{
	Label *l = calloc(1, sizeof(*l));

	if (!l) {
		b->err = -ENOMEM;
		return NULL;
	}
	perftools__profiles__label__init(l);
	l->key = string_id(b, key);
	if (str)
		l->str = string_id(b, str);
	l->num = num;
	return l;
}

/*
 * What one profile holds: the stacks of some kinds, its sample types and
 * period, and how a stack's figures fill a sample's values.
 */
struct profile_spec {
	bool (*keeps)(enum alloc_kind kind);
	const char *const (*types)[2]; /* {type, unit} per value */
	size_t nr_types;
	const char *period_type[2];
	int64_t period;
	const char *default_type;
	void (*values)(const struct stack_stats *s, int64_t *v);
	bool size_label; /* a "bytes" label with the average object size, like Go's heap profile */
};

#define MAX_VALUES 10 /* the memory profile's, with a scan's classes */

/* A sample with room for nr_frames locations, MAX_VALUES values and nr_labels labels. */
static Sample *new_sample(struct builder *b, size_t nr_frames, size_t nr_labels)
{
	Sample *s = calloc(1, sizeof(*s));

	if (s)
		perftools__profiles__sample__init(s);
	if (!s || !(s->location_id = calloc(nr_frames + 1, sizeof(uint64_t))) ||
	    !(s->value = calloc(MAX_VALUES, sizeof(int64_t))) ||
	    !(s->label = calloc(nr_labels, sizeof(Label *))))
		b->err = -ENOMEM;
	return s;
}

/* The locations of frames[0..nr) (leaf first): an inlined run ends at the frame holding its
 * address. */
static void add_locations(struct builder *b, Sample *s, uint32_t pid, const struct frame *frames,
			  size_t nr)
{
	size_t i, start;

	for (i = 0; i < nr; i = start) {
		for (start = i; start < nr && frames[start].inlined; start++)
			;
		if (start == nr)
			break;
		start++;
		s->location_id[s->n_location_id++] = location_id(b, pid, &frames[i], start - i);
	}
}

static Sample *sample_of(struct builder *b, const struct profile_spec *spec,
			 const struct snapshot *snap, const struct snapshot_stack *st)
{
	Sample *s = new_sample(b, st->nr_frames, 4);

	if (b->err)
		return s;
	add_locations(b, s, st->stats.pid, st->frames, st->nr_frames);
	spec->values(&st->stats, s->value);
	s->n_value = spec->nr_types;
	s->label[s->n_label++] = label(b, "pid", NULL, st->stats.pid);
	s->label[s->n_label++] = label(b, "comm", snapshot__comm(snap, (int)st->stats.pid), 0);
	s->label[s->n_label++] = label(b, "kind", alloc_kind__name(st->stats.kind), 0);
	if (spec->size_label && st->stats.alloc_count)
		s->label[s->n_label++] = label(
		    b, "bytes", NULL, (int64_t)(st->stats.alloc_bytes / st->stats.alloc_count));
	return s;
}

/*
 * The stacks past the export cap as one sample on a "[dropped: ...]"
 * frame, so the profile's totals stay right, and a comment saying so.
 */
static Sample *dropped_sample(struct builder *b, const struct snapshot *snap, size_t nr_values)
{
	char text[160];
	Sample *s = calloc(1, sizeof(*s));
	Location *loc = calloc(1, sizeof(*loc));
	Line *line = calloc(1, sizeof(*line));
	Function *fn = calloc(1, sizeof(*fn));
	Line **lines = calloc(1, sizeof(*lines));
	bool fresh;
	uint64_t loc_id = index_get(&b->locations, 0, 0, &fresh); /* real ones have odd keys */
	uint64_t fn_id = index_get(&b->functions, UINT64_MAX, UINT64_MAX, &fresh);

	if (s)
		perftools__profiles__sample__init(s);
	if (!s || !loc || !line || !fn || !lines || !loc_id || !fn_id ||
	    ARRAY_RESERVE(b->locations_list, b->locations_cap, loc_id, 256) ||
	    ARRAY_RESERVE(b->functions_list, b->functions_cap, fn_id, 256) ||
	    !(b->profile.comment = calloc(1, sizeof(*b->profile.comment))) ||
	    !(s->location_id = calloc(1, sizeof(uint64_t))) ||
	    !(s->value = calloc(MAX_VALUES, sizeof(int64_t)))) {
		free(loc);
		free(line);
		free(fn);
		free(lines);
		b->err = -ENOMEM;
		return s;
	}
	snprintf(text, sizeof(text), "[dropped: %zu more stacks past the %zu-stack cap]",
		 snapshot__nr_omitted(snap), snap->max_stacks);
	perftools__profiles__function__init(fn);
	fn->id = fn_id;
	fn->name = fn->system_name = string_id(b, text);
	b->functions_list[fn_id - 1] = fn;
	b->profile.n_function = fn_id;
	perftools__profiles__line__init(line);
	line->function_id = fn_id;
	perftools__profiles__location__init(loc);
	loc->id = loc_id;
	loc->line = lines;
	loc->line[loc->n_line++] = line;
	b->locations_list[loc_id - 1] = loc;
	b->profile.n_location = loc_id;
	s->location_id[s->n_location_id++] = loc_id;
	s->value[0] = (int64_t)snap->omitted_bytes;
	s->value[1] = (int64_t)snap->omitted_count;
	s->n_value = nr_values; /* the classes of stacks past the cap are unknown: 0 */
	snprintf(text, sizeof(text),
		 "memleakd: %zu more stacks holding %" PRIu64
		 " bytes left out (past the %zu-stack cap)",
		 snapshot__nr_omitted(snap), snap->omitted_bytes, snap->max_stacks);
	b->profile.comment[b->profile.n_comment++] = string_id(b, text);
	return s;
}

static ValueType *value_type(struct builder *b, const char *type, const char *unit)
{
	ValueType *v = calloc(1, sizeof(*v));

	if (!v) {
		b->err = -ENOMEM;
		return NULL;
	}
	perftools__profiles__value_type__init(v);
	v->type = string_id(b, type);
	v->unit = string_id(b, unit);
	return v;
}

static void free_profile(struct builder *b)
{
	Profile *p = &b->profile;
	size_t i, j;

	for (i = 0; i < p->n_sample && p->sample; i++) {
		if (!p->sample[i])
			continue;
		for (j = 0; j < p->sample[i]->n_label; j++)
			free(p->sample[i]->label[j]);
		free(p->sample[i]->label);
		free(p->sample[i]->location_id);
		free(p->sample[i]->value);
		free(p->sample[i]);
	}
	free(p->sample);
	free(p->comment);
	for (i = 0; i < p->n_location; i++) {
		for (j = 0; b->locations_list[i] && j < b->locations_list[i]->n_line; j++)
			free(b->locations_list[i]->line[j]);
		if (b->locations_list[i])
			free(b->locations_list[i]->line);
		free(b->locations_list[i]);
	}
	for (i = 0; i < p->n_function; i++)
		free(b->functions_list[i]);
	for (i = 0; i < p->n_mapping; i++)
		free(b->mappings_list[i]);
	for (i = 0; i < p->n_string_table; i++)
		free(b->string_table[i]);
	for (i = 0; i < p->n_sample_type; i++)
		free(p->sample_type[i]);
	free(p->sample_type);
	free(p->period_type);
	free(b->locations_list);
	free(b->functions_list);
	free(b->mappings_list);
	free(b->string_table);
	hmap__free(&b->strings);
	hmap__free(&b->functions);
	hmap__free(&b->locations);
	hmap__free(&b->mappings);
}

static bool is_tracked_kind(enum alloc_kind kind)
{
	return kind == KIND_MALLOC || kind == KIND_MMAP;
}

static bool is_goroutine_kind(enum alloc_kind kind)
{
	return kind == KIND_GOROUTINE;
}

static bool is_go_heap_kind(enum alloc_kind kind)
{
	return kind == KIND_GO_HEAP;
}

static void memory_values(const struct stack_stats *s, int64_t *v)
{
	v[0] = (int64_t)s->outstanding_bytes;
	v[1] = (int64_t)s->outstanding_count;
	v[2] = (int64_t)s->alloc_bytes;
	v[3] = (int64_t)s->alloc_count;
}

/* The same, then the blocks of each class at the last reachability scan. */
static void memory_reach_values(const struct stack_stats *s, int64_t *v)
{
	memory_values(s, v);
	v[4] = (int64_t)s->reach.bytes[REACH_LOST];
	v[5] = (int64_t)s->reach.count[REACH_LOST];
	v[6] = (int64_t)s->reach.bytes[REACH_INDIRECT];
	v[7] = (int64_t)s->reach.count[REACH_INDIRECT];
	v[8] = (int64_t)s->reach.bytes[REACH_REACHABLE];
	v[9] = (int64_t)s->reach.count[REACH_REACHABLE];
}

static void goroutine_values(const struct stack_stats *s, int64_t *v)
{
	v[0] = (int64_t)s->outstanding_count;
}

/* In the order of Go's own heap profile (runtime/pprof writeHeapProto). */
static void go_heap_values(const struct stack_stats *s, int64_t *v)
{
	v[0] = (int64_t)s->alloc_count;
	v[1] = (int64_t)s->alloc_bytes;
	v[2] = (int64_t)s->outstanding_count;
	v[3] = (int64_t)s->outstanding_bytes;
}

static const char *const memory_types[][2] = {
    {"inuse_space", "bytes"},
    {"inuse_objects", "count"},
    {"alloc_space", "bytes"},
    {"alloc_objects", "count"},
};
/* With a scan: the classes after the usual four (the default stays inuse_space). */
static const char *const memory_reach_types[][2] = {
    {"inuse_space", "bytes"},	    {"inuse_objects", "count"},	   {"alloc_space", "bytes"},
    {"alloc_objects", "count"},	    {"lost_space", "bytes"},	   {"lost_objects", "count"},
    {"indirect_space", "bytes"},    {"indirect_objects", "count"}, {"reachable_space", "bytes"},
    {"reachable_objects", "count"},
};
static const char *const goroutine_types[][2] = {{"goroutine", "count"}};
static const char *const go_heap_types[][2] = {
    {"alloc_objects", "count"},
    {"alloc_space", "bytes"},
    {"inuse_objects", "count"},
    {"inuse_space", "bytes"},
};

static void build(struct builder *b, const struct profile_spec *spec, const struct snapshot *snap)
{
	Profile *p = &b->profile;
	size_t i;

	perftools__profiles__profile__init(p);
	string_id(b, ""); /* index 0 */
	p->sample_type = calloc(spec->nr_types, sizeof(*p->sample_type));
	p->sample = calloc(snap->nr_stacks + 1, sizeof(*p->sample));
	if (!p->sample_type || !p->sample) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < spec->nr_types; i++)
		p->sample_type[p->n_sample_type++] =
		    value_type(b, spec->types[i][0], spec->types[i][1]);
	p->period_type = value_type(b, spec->period_type[0], spec->period_type[1]);
	p->period = spec->period;
	p->default_sample_type = string_id(b, spec->default_type);
	p->time_nanos = (int64_t)snap->wall_time_s * 1000000000LL;
	p->duration_nanos = (int64_t)(snap->elapsed_s * 1e9);
	for (i = 0; i < snap->nr_stacks && !b->err; i++)
		if (spec->keeps(snap->stacks[i].stats.kind))
			p->sample[p->n_sample++] = sample_of(b, spec, snap, &snap->stacks[i]);
	/* The stacks past the cap are counted as memory: only that profile says so. */
	if (spec->keeps == is_tracked_kind && snapshot__nr_omitted(snap) && !b->err)
		p->sample[p->n_sample++] = dropped_sample(b, snap, spec->nr_types);
	p->function = b->functions_list;
	p->location = b->locations_list;
	p->mapping = b->mappings_list;
	p->string_table = b->string_table;
}

/* Gzip (zlib's deflate with a gzip header) of buf to out. */
static int write_gzip(FILE *out, const uint8_t *buf, size_t len)
{
	unsigned char chunk[65536];
	z_stream z = {0};
	int ret;

	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	do {
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		ret = deflate(&z, Z_FINISH);
		if (fwrite(chunk, 1, sizeof(chunk) - z.avail_out, out) !=
		    sizeof(chunk) - z.avail_out)
			ret = Z_ERRNO;
	} while (ret == Z_OK);
	deflateEnd(&z);
	return ret == Z_STREAM_END ? 0 : -EIO;
}

static void build_exited(struct builder *b, const struct snapshot *snap);

/* The profile spec says, or the "left at exit" tally with spec NULL. */
static int write_profile(FILE *out, const struct profile_spec *spec, const struct snapshot *snap)
{
	struct builder b;
	uint8_t *packed;
	size_t len;
	int err;

	memset(&b, 0, sizeof(b));
	hmap__init(&b.strings, sizeof(uint64_t));
	hmap__init(&b.functions, sizeof(uint64_t));
	hmap__init(&b.locations, sizeof(uint64_t));
	hmap__init(&b.mappings, sizeof(uint64_t));
	if (spec)
		build(&b, spec, snap);
	else
		build_exited(&b, snap);
	err = b.err;
	if (!err) {
		len = perftools__profiles__profile__get_packed_size(&b.profile);
		packed = malloc(len ? len : 1);
		if (!packed) {
			err = -ENOMEM;
		} else {
			perftools__profiles__profile__pack(&b.profile, packed);
			err = write_gzip(out, packed, len);
			free(packed);
		}
	}
	b.profile.function = NULL;
	b.profile.location = NULL;
	b.profile.mapping = NULL;
	b.profile.string_table = NULL;
	free_profile(&b);
	return err;
}

int pprof__write(FILE *out, const struct snapshot *snap)
{
	struct profile_spec spec = {
	    .keeps = is_tracked_kind,
	    .types = memory_types,
	    .nr_types = 4,
	    .period_type = {"space", "bytes"},
	    .period = 1, /* every allocation is seen: no sampling to scale back */
	    .default_type = "inuse_space",
	    .values = memory_values,
	};

	if (snapshot__any_scan(snap)) {
		spec.types = memory_reach_types;
		spec.nr_types = sizeof(memory_reach_types) / sizeof(memory_reach_types[0]);
		spec.values = memory_reach_values;
	}
	return write_profile(out, &spec, snap);
}

int pprof__write_goroutines(FILE *out, const struct snapshot *snap)
{
	const struct profile_spec spec = {
	    .keeps = is_goroutine_kind,
	    .types = goroutine_types,
	    .nr_types = 1,
	    .period_type = {"goroutine", "count"},
	    .period = 1,
	    .default_type = "goroutine",
	    .values = goroutine_values,
	};

	return write_profile(out, &spec, snap);
}

int64_t pprof__go_heap_rate(const struct snapshot *snap)
{
	const struct snapshot_proc *proc;
	size_t i, j;

	for (i = 0; i < snap->nr_stacks; i++) {
		if (snap->stacks[i].stats.kind != KIND_GO_HEAP)
			continue;
		for (j = 0; j < snap->nr_procs; j++) {
			proc = &snap->procs[j];
			if (proc->pid == (int)snap->stacks[i].stats.pid && proc->go &&
			    proc->go->heap_rate > 0)
				return proc->go->heap_rate;
		}
	}
	return 0;
}

int pprof__write_go_heap(FILE *out, const struct snapshot *snap)
{
	const struct profile_spec spec = {
	    .keeps = is_go_heap_kind,
	    .types = go_heap_types,
	    .nr_types = 4,
	    .period_type = {"space", "bytes"},
	    .period = pprof__go_heap_rate(snap),
	    .default_type = "inuse_space",
	    .values = go_heap_values,
	    .size_label = true,
	};

	return write_profile(out, &spec, snap);
}

/*
 * One entry of the "left at exit" tally. Its frames' addresses are those
 * of one of the processes that left it: locations and mappings are keyed
 * by the entry (index + 1 stands for a pid), never shared between entries.
 */
static Sample *exited_sample(struct builder *b, const struct snapshot_exited *e, uint32_t key)
{
	Sample *s = new_sample(b, e->nr_frames, 6);
	char id[17];

	if (b->err)
		return s;
	add_locations(b, s, key, e->frames, e->nr_frames);
	s->value[0] = (int64_t)e->bytes;
	s->value[1] = (int64_t)e->count;
	s->n_value = 2;
	s->label[s->n_label++] = label(b, "exe", e->exe, 0);
	s->label[s->n_label++] = label(b, "comm", e->comm, 0);
	s->label[s->n_label++] = label(b, "kind", alloc_kind__name(e->kind), 0);
	s->label[s->n_label++] = label(b, "stack_id", stackid__format(e->stack_hash, id), 0);
	s->label[s->n_label++] = label(b, "growing", e->growing ? "true" : "false", 0);
	s->label[s->n_label++] = label(b, "processes", NULL, (int64_t)e->nr_procs);
	return s;
}

static const char *const exited_types[][2] = {{"left_space", "bytes"}, {"left_objects", "count"}};

static void build_exited(struct builder *b, const struct snapshot *snap)
{
	Profile *p = &b->profile;
	char text[160];
	size_t i;

	perftools__profiles__profile__init(p);
	string_id(b, ""); /* index 0 */
	p->sample_type = calloc(2, sizeof(*p->sample_type));
	p->sample = calloc(snap->nr_exited + 1, sizeof(*p->sample));
	p->comment = calloc(1, sizeof(*p->comment));
	if (!p->sample_type || !p->sample || !p->comment) {
		b->err = -ENOMEM;
		return;
	}
	for (i = 0; i < 2; i++)
		p->sample_type[p->n_sample_type++] =
		    value_type(b, exited_types[i][0], exited_types[i][1]);
	p->period_type = value_type(b, "space", "bytes");
	p->period = 1;
	p->default_sample_type = string_id(b, "left_space");
	p->time_nanos = (int64_t)snap->wall_time_s * 1000000000LL;
	p->duration_nanos = (int64_t)(snap->elapsed_s * 1e9);
	snprintf(text, sizeof(text),
		 "memleakd: left at exit by %" PRIu64
		 " exited processes (freed by the kernel); %zu more stacks not exported",
		 snap->exited_procs, snap->nr_exited_omitted);
	p->comment[p->n_comment++] = string_id(b, text);
	for (i = 0; i < snap->nr_exited && !b->err; i++)
		p->sample[p->n_sample++] = exited_sample(b, &snap->exited[i], (uint32_t)i + 1);
	p->function = b->functions_list;
	p->location = b->locations_list;
	p->mapping = b->mappings_list;
	p->string_table = b->string_table;
}

int pprof__write_exited(FILE *out, const struct snapshot *snap)
{
	return write_profile(out, NULL, snap);
}

bool pprof__has_kind(const struct snapshot *snap, enum alloc_kind kind)
{
	size_t i;

	for (i = 0; i < snap->nr_stacks; i++)
		if (snap->stacks[i].stats.kind == kind)
			return true;
	return false;
}

int pprof__side_path(const char *path, const char *kind, char *buf, size_t len)
{
	static const char gz[] = ".pb.gz";
	size_t plen = strlen(path), stem = plen;
	int n;

	if (plen > strlen(gz) && !strcmp(path + plen - strlen(gz), gz)) {
		stem = plen - strlen(gz);
		n = snprintf(buf, len, "%.*s.%s%s", (int)stem, path, kind, gz);
	} else {
		n = snprintf(buf, len, "%s.%s", path, kind);
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
