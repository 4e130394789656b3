// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "json.h"
#include "stackid.h"
#include "textsafe.h"

/*
 * A JSON string: valid UTF-8 is copied through (a UTF-8 name reads back as
 * itself), controls (C0, DEL, C1, bidi overrides) are \u-escaped so that
 * viewing the file cannot drive a terminal, and each byte that is not
 * well-formed UTF-8 becomes U+FFFD: any input gives valid JSON and valid text.
 */
static void put_string(FILE *out, const char *text)
{
	enum text_class cls;
	size_t unit;
	uint32_t cp;

	if (!text) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (; *text; text += unit) {
		unit = textsafe__next(text, &cp, &cls);
		if (cls == TEXT_INVALID)
			fputs("\\ufffd", out);
		else if (cls == TEXT_CONTROL)
			fprintf(out, "\\u%04x", (unsigned int)cp);
		else if (*text == '"' || *text == '\\')
			fprintf(out, "\\%c", *text);
		else
			fwrite(text, 1, unit, out);
	}
	fputc('"', out);
}

static void put_double(FILE *out, double value)
{
	fprintf(out, isfinite(value) ? "%.3f" : "0", value);
}

static void put_frame(FILE *out, const struct frame *f)
{
	fputs("{\"symbol\":", out);
	put_string(out, f->symbol);
	fputs(",\"module\":", out);
	put_string(out, f->module);
	fprintf(out, ",\"offset\":%" PRIu64 ",\"address\":%" PRIu64, f->offset, f->addr);
	fputs(",\"file\":", out);
	put_string(out, f->file);
	fprintf(out, ",\"line\":%d,\"inlined\":%s,\"build_id\":", f->line,
		f->inlined ? "true" : "false");
	put_string(out, f->build_id && f->build_id[0] ? f->build_id : NULL);
	fputc('}', out);
}

static void put_frames(FILE *out, const struct frame *frames, size_t n)
{
	size_t i;

	fputc('[', out);
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', out);
		put_frame(out, &frames[i]);
	}
	fputc(']', out);
}

/* The census's view of a goroutine site: "go":{...}. */
static void put_go_site(FILE *out, const struct snapshot_stack *st)
{
	const struct go_site *site = st->go_site;
	size_t i;

	fprintf(out, ",\"go\":{\"before_attach\":%s,\"states\":{",
		site->before_attach ? "true" : "false");
	for (i = 0; i < site->nr_states && i < GO_SITE_MAX_STATES; i++) {
		if (i)
			fputc(',', out);
		put_string(out, site->states[i].state ? site->states[i].state : "?");
		fprintf(out, ":%" PRIu64, site->states[i].count);
	}
	fputs("},\"max_blocked_s\":", out);
	put_double(out, site->max_blocked_s);
	fprintf(out, ",\"stack_bytes\":%" PRIu64 ",\"blocked_frames\":", site->stack_bytes);
	put_frames(out, st->blocked_frames, st->nr_blocked_frames);
	fputc('}', out);
}

static uint64_t less(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/*
 * A malloc or mmap stack's blocks by class at the last scan, always (all
 * unscanned when none ran): "lost_bytes":..,"unscanned_count":..
 */
static void put_stack_reach(FILE *out, const struct stack_stats *s)
{
	const struct reach_counts *r = &s->reach;
	uint64_t unscanned_bytes = s->outstanding_bytes, unscanned_count = s->outstanding_count;
	int cls;

	for (cls = REACH_UNSCANNED + 1; cls < NR_REACH_CLASSES; cls++) {
		unscanned_bytes = less(unscanned_bytes, r->bytes[cls]);
		unscanned_count = less(unscanned_count, r->count[cls]);
	}
	fprintf(out,
		",\"lost_bytes\":%" PRIu64 ",\"lost_count\":%" PRIu64 ",\"indirect_bytes\":%" PRIu64
		",\"indirect_count\":%" PRIu64 ",\"reachable_bytes\":%" PRIu64
		",\"reachable_count\":%" PRIu64 ",\"unscanned_bytes\":%" PRIu64
		",\"unscanned_count\":%" PRIu64,
		r->bytes[REACH_LOST], r->count[REACH_LOST], r->bytes[REACH_INDIRECT],
		r->count[REACH_INDIRECT], r->bytes[REACH_REACHABLE], r->count[REACH_REACHABLE],
		unscanned_bytes, unscanned_count);
}

/* What a kind's figures mean, under names of its own. */
static void put_kind_fields(FILE *out, const struct snapshot_stack *st)
{
	const struct stack_stats *s = &st->stats;

	if (s->kind == KIND_GOROUTINE) {
		fprintf(out, ",\"live\":%" PRIu64 ",\"created\":%" PRIu64 ",\"exited\":%" PRIu64,
			s->outstanding_count, s->alloc_count, s->free_count);
		if (st->go_site)
			put_go_site(out, st);
	} else if (s->kind == KIND_GO_HEAP) {
		fprintf(out,
			",\"inuse_bytes\":%" PRIu64 ",\"inuse_objects\":%" PRIu64
			",\"alloc_bytes\":%" PRIu64 ",\"alloc_objects\":%" PRIu64,
			s->outstanding_bytes, s->outstanding_count, s->alloc_bytes, s->alloc_count);
	} else if (alloc_kind__is_tracked(s->kind)) {
		put_stack_reach(out, s);
	}
}

static void put_stack(FILE *out, const struct snapshot *snap, const struct snapshot_stack *st)
{
	const struct stack_stats *s = &st->stats;
	const struct stack_history *h = st->hist;
	size_t i;

	fprintf(out, "{\"pid\":%u,\"comm\":", s->pid);
	put_string(out, snapshot__comm(snap, (int)s->pid));
	fprintf(out, ",\"kind\":\"%s\",\"unit\":\"%s\"", alloc_kind__name(st->stats.kind),
		alloc_kind__unit(st->stats.kind));
	fprintf(out,
		",\"outstanding_bytes\":%" PRIu64 ",\"outstanding_allocs\":%" PRIu64
		",\"allocated_bytes\":%" PRIu64 ",\"allocated_allocs\":%" PRIu64
		",\"freed_bytes\":%" PRIu64 ",\"freed_allocs\":%" PRIu64 ",\"growth_bytes_per_s\":",
		s->outstanding_bytes, s->outstanding_count, s->alloc_bytes, s->alloc_count,
		s->free_bytes, s->free_count);
	put_double(out, h ? h->trend.rate : 0);
	fprintf(out, ",\"growing\":%s,\"oldest_age_s\":", h && h->growing ? "true" : "false");
	put_double(out, st->oldest_age_s);
	fputs(",\"series\":[", out);
	for (i = 0; h && i < h->nr_values; i++)
		fprintf(out, "%s%" PRIu64, i ? "," : "", h->values[i]);
	fputc(']', out);
	put_kind_fields(out, st);
	fputs(",\"problem\":", out);
	put_string(out, snapshot__stack_problem(st));
	fprintf(out, ",\"complete\":%s,\"frames\":", st->complete ? "true" : "false");
	put_frames(out, st->frames, st->nr_frames);
	fputc('}', out);
}

static void put_losses(FILE *out, const struct snapshot *snap)
{
	const uint64_t *c = snap->counters;

	fprintf(out,
		"{\"ringbuf_drops\":%" PRIu64 ",\"stack_collisions\":%" PRIu64
		",\"stack_failures\":%" PRIu64 ",\"stash_misses\":%" PRIu64
		",\"stash_full\":%" PRIu64 ",\"stale_stashes\":%" PRIu64
		",\"failed_reallocs\":%" PRIu64 ",\"memptr_faults\":%" PRIu64
		",\"filtered\":%" PRIu64 ",\"unwind_faults\":%" PRIu64 ",\"depth_cuts\":%" PRIu64
		",\"frames_without_cfi\":%" PRIu64 ",\"unwind_busy\":%" PRIu64
		",\"sample_full\":%" PRIu64 ",\"unmatched_frees\":%" PRIu64
		",\"missed_frees\":%" PRIu64 ",\"partial_stacks\":%zu,\"partial_bytes\":%" PRIu64
		",\"children_not_followed\":%" PRIu64 ",\"attach_failures\":%" PRIu64
		",\"execs_not_held\":%" PRIu64 ",\"lifecycle_records_lost\":%" PRIu64
		",\"exit_records_lost\":%" PRIu64 ",\"exec_holds_expired\":%" PRIu64,
		c[ML_CNT_RB_DROPS], c[ML_CNT_STACK_COLLISION], c[ML_CNT_STACK_FAIL],
		c[ML_CNT_STASH_MISS], c[ML_CNT_STASH_FULL], c[ML_CNT_STASH_STALE],
		c[ML_CNT_REALLOC_FAILED], c[ML_CNT_MEMPTR_FAULT], c[ML_CNT_FILTERED],
		c[ML_CNT_UNWIND_FAULT], c[ML_CNT_UNWIND_DEPTH], c[ML_CNT_UNWIND_NOCFI],
		c[ML_CNT_STACK_NESTED], c[ML_CNT_SAMPLE_FULL], snap->totals.unmatched_frees,
		snap->totals.missed_frees, snap->nr_partial, snap->partial_bytes,
		c[ML_CNT_TARGETS_FULL], snap->attach_failures, c[ML_CNT_EXEC_NOT_HELD],
		c[ML_CNT_LIFE_LOST], c[ML_CNT_EXIT_LOST], c[ML_CNT_HOLD_EXPIRED]);
	/* Counted in userspace, and what the caps left out. */
	fprintf(out,
		",\"table_failures\":%" PRIu64 ",\"stack_ids_full\":%" PRIu64
		",\"stacks_not_exported\":%zu,\"bytes_not_exported\":%" PRIu64
		",\"targets_not_listed\":%zu,\"exited_stacks_evicted\":%" PRIu64
		",\"exited_stacks_cut\":%" PRIu64,
		snap->losses.table_failures, snap->losses.stack_ids_full,
		snapshot__nr_omitted(snap), snap->omitted_bytes, snap->nr_procs_omitted,
		snap->losses.exited_stacks_evicted, snap->losses.exited_stacks_cut);
	fprintf(out,
		",\"go_exits_unseen_birth\":%" PRIu64 ",\"go_creates_missed\":%" PRIu64
		",\"go_exits_missed\":%" PRIu64 ",\"go_census_unreadable\":%" PRIu64
		",\"go_unreadable\":%" PRIu64 "}",
		snap->losses.go_exits_unseen_birth, snap->losses.go_creates_missed,
		snap->losses.go_exits_missed, snap->losses.go_census_unreadable,
		snap->counters[ML_CNT_GO_UNREADABLE]);
}

/* A Go process's facts: "go":{...}. */
static void put_go_proc(FILE *out, const struct snapshot_go *go)
{
	fputs(",\"go\":{\"version\":", out);
	put_string(out, go->version);
	fprintf(out,
		",\"goroutines\":%" PRIu64 ",\"system_goroutines\":%" PRIu64
		",\"goroutines_traced\":%s,\"goroutines_off\":",
		go->goroutines, go->system_goroutines, go->goroutines_traced ? "true" : "false");
	put_string(out, go->goroutines_off);
	fprintf(out, ",\"heap_rate\":%" PRId64 ",\"heap_off\":", go->heap_rate);
	put_string(out, go->heap_off);
	fprintf(out,
		",\"gc_cycle\":%u,\"heap_inuse_bytes\":%" PRIu64 ",\"heap_inuse_objects\":%" PRIu64
		",\"census_ms\":",
		go->gc_cycle, go->heap_inuse_bytes, go->heap_inuse_objects);
	put_double(out, go->census_ms);
	fprintf(out, ",\"census_bytes\":%" PRIu64 ",\"heap_read_ms\":", go->census_bytes);
	put_double(out, go->heap_read_ms);
	fprintf(out, ",\"heap_read_bytes\":%" PRIu64 ",\"heap_buckets\":%zu}", go->heap_read_bytes,
		go->heap_buckets);
}

static const char *scan_state_name(enum scan_state state)
{
	if (state == SCAN_DONE)
		return "done";
	if (state == SCAN_FAILED)
		return "failed";
	return "none";
}

/* "root_bytes":{"globals":N,...}: what the scan read of each kind of root. */
static void put_root_bytes(FILE *out, const struct snapshot_scan *scan)
{
	static const char *const root_names[NR_ROOT_KINDS] = {
	    [ROOT_GLOBALS] = "globals",
	    [ROOT_STACK] = "stack",
	    [ROOT_REGISTERS] = "registers",
	    [ROOT_UNTRACED] = "untraced",
	};
	int kind;

	fputs(",\"root_bytes\":{", out);
	for (kind = 0; kind < NR_ROOT_KINDS; kind++)
		fprintf(out, "%s\"%s\":%" PRIu64, kind ? "," : "", root_names[kind],
			scan->root_bytes[kind]);
	fputc('}', out);
}

/* A process's last reachability scan: "scan":{...}, always (state "none" when none ran). */
static void put_scan(FILE *out, const struct snapshot_scan *scan)
{
	char why[sizeof(scan->why) + 1];

	/* A full buffer need not end in NUL. */
	memcpy(why, scan->why, sizeof(scan->why));
	why[sizeof(scan->why)] = '\0';
	fprintf(out, ",\"scan\":{\"state\":\"%s\",\"at_exit\":%s,\"truncated\":%s,\"why\":",
		scan_state_name(scan->state), scan->at_exit ? "true" : "false",
		scan->truncated ? "true" : "false");
	put_string(out, why[0] ? why : NULL);
	fprintf(out, ",\"scans\":%u,\"age_s\":", scan->nr_scans);
	put_double(out, scan->age_s);
	fputs(",\"pause_ms\":", out);
	put_double(out, scan->pause_ms);
	fputs(",\"scan_ms\":", out);
	put_double(out, scan->scan_ms);
	fprintf(out, ",\"threads\":%zu,\"bytes_read\":%" PRIu64, scan->nr_threads,
		scan->bytes_read);
	put_root_bytes(out, scan);
	fprintf(out,
		",\"heap_bytes\":%" PRIu64 ",\"lost_count\":%" PRIu64 ",\"lost_bytes\":%" PRIu64
		",\"indirect_count\":%" PRIu64 ",\"indirect_bytes\":%" PRIu64
		",\"reachable_count\":%" PRIu64 ",\"reachable_bytes\":%" PRIu64
		",\"interior_only\":%" PRIu64 "}",
		scan->heap_bytes, scan->count[REACH_LOST], scan->bytes[REACH_LOST],
		scan->count[REACH_INDIRECT], scan->bytes[REACH_INDIRECT],
		scan->count[REACH_REACHABLE], scan->bytes[REACH_REACHABLE], scan->interior_only);
}

/* What the leak gate counts, every process, outside suppressed stacks: "leaks":{...}. */
static void put_leaks(FILE *out, const struct snapshot *snap)
{
	struct leak_tally t;

	snapshot__leak_tally(snap, &t);
	fprintf(out,
		",\"leaks\":{\"lost_bytes\":%" PRIu64 ",\"lost_count\":%" PRIu64
		",\"indirect_bytes\":%" PRIu64 ",\"indirect_count\":%" PRIu64
		",\"reachable_bytes\":%" PRIu64 ",\"reachable_count\":%" PRIu64
		",\"unscanned_bytes\":%" PRIu64 ",\"unscanned_count\":%" PRIu64 "}",
		t.bytes[REACH_LOST], t.count[REACH_LOST], t.bytes[REACH_INDIRECT],
		t.count[REACH_INDIRECT], t.bytes[REACH_REACHABLE], t.count[REACH_REACHABLE],
		t.bytes[REACH_UNSCANNED], t.count[REACH_UNSCANNED]);
}

/* One entry of the "left at exit" tally. */
static void put_exited(FILE *out, const struct snapshot_exited *e)
{
	char id[17];

	fputs("{\"exe\":", out);
	put_string(out, e->exe);
	fputs(",\"comm\":", out);
	put_string(out, e->comm);
	fprintf(out,
		",\"kind\":\"%s\",\"stack_id\":\"%s\",\"left_bytes\":%" PRIu64
		",\"left_allocs\":%" PRIu64 ",\"processes\":%" PRIu64 ",\"growth_bytes_per_s\":",
		alloc_kind__name(e->kind), stackid__format(e->stack_hash, id), e->bytes, e->count,
		e->nr_procs);
	put_double(out, e->rate);
	fprintf(out, ",\"growing\":%s,\"last_exit_age_s\":", e->growing ? "true" : "false");
	put_double(out, e->last_exit_age_s);
	fputs(",\"frames\":", out);
	put_frames(out, e->frames, e->nr_frames);
	fputc('}', out);
}

/* Per Go kind, summed over the shown stacks of that kind: "kinds":{...}. */
static void put_kinds(FILE *out, const struct snapshot *snap)
{
	uint64_t live = 0, inuse_bytes = 0, inuse_objects = 0, alloc_bytes = 0, alloc_objects = 0;
	size_t i, growing = 0, goroutine_stacks = 0, heap_stacks = 0;
	const struct snapshot_stack *st;

	for (i = 0; i < snap->nr_stacks; i++) {
		st = &snap->stacks[i];
		if (st->stats.kind == KIND_GOROUTINE) {
			goroutine_stacks++;
			live += st->stats.outstanding_count;
			growing += st->hist && st->hist->growing;
		} else if (st->stats.kind == KIND_GO_HEAP) {
			heap_stacks++;
			inuse_bytes += st->stats.outstanding_bytes;
			inuse_objects += st->stats.outstanding_count;
			alloc_bytes += st->stats.alloc_bytes;
			alloc_objects += st->stats.alloc_count;
		}
	}
	fprintf(out,
		",\"kinds\":{\"goroutine\":{\"live\":%" PRIu64
		",\"stacks\":%zu,\"growing_stacks\":%zu},\"go-heap\":{\"inuse_bytes\":%" PRIu64
		",\"inuse_objects\":%" PRIu64 ",\"alloc_bytes\":%" PRIu64
		",\"alloc_objects\":%" PRIu64 ",\"stacks\":%zu}}",
		live, goroutine_stacks, growing, inuse_bytes, inuse_objects, alloc_bytes,
		alloc_objects, heap_stacks);
}

/* The kernel's view against tracked: ",\"memory\":{...}", null when not read. */
static void put_memview(FILE *out, const struct snapshot_memview *m)
{
	if (!m->valid) {
		fputs(",\"memory\":null", out);
		return;
	}
	fprintf(out,
		",\"memory\":{\"rss_bytes\":%" PRIu64 ",\"anon_bytes\":%" PRIu64
		",\"tracked_bytes\":%" PRIu64 ",\"untracked_bytes\":%" PRId64
		",\"untracked_rate\":",
		m->rss_bytes, m->anon_bytes, m->tracked_bytes, m->gap_bytes);
	put_double(out, m->gap_rate);
	fprintf(out, ",\"untracked_growing\":%s,\"hint\":", m->gap_growing ? "true" : "false");
	put_string(out, m->gap_growing ? m->hint : NULL);
	fputc('}', out);
}

int json__render(FILE *out, const struct snapshot *snap)
{
	const struct alloc_totals *t = &snap->totals;
	size_t i;

	fprintf(out,
		"{\"time\":%" PRIu64 ",\"seq\":%u,\"final\":%s,\"elapsed_s\":", snap->wall_time_s,
		snap->seq, snap->final ? "true" : "false");
	put_double(out, snap->elapsed_s);
	fputs(",\"interval_s\":", out);
	put_double(out, snap->interval_s);
	fprintf(out, ",\"window\":%u,\"sample_bytes\":%" PRIu64 ",\"unwind\":", snap->window,
		snap->sample_bytes);
	put_string(out, snap->unwind_mode);
	fputs(",\"targets\":[", out);
	for (i = 0; i < snap->nr_procs; i++) {
		fprintf(out, "%s{\"pid\":%d,\"comm\":", i ? "," : "", snap->procs[i].pid);
		put_string(out, snap->procs[i].comm);
		fputs(",\"exe\":", out);
		put_string(out, snap->procs[i].exe);
		fprintf(out, ",\"exited\":%s", snap->procs[i].exited ? "true" : "false");
		if (snap->procs[i].go)
			put_go_proc(out, snap->procs[i].go);
		put_scan(out, &snap->procs[i].scan);
		put_memview(out, &snap->procs[i].mem);
		fputc('}', out);
	}
	fprintf(out,
		"],\"totals\":{\"outstanding_bytes\":%" PRIu64 ",\"outstanding_allocs\":%" PRIu64
		",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64
		",\"live_stacks\":%zu,\"growing_stacks\":%zu},\"losses\":",
		t->outstanding_bytes, t->outstanding_count, t->allocs, t->frees,
		snap->nr_live_tracked, snap->nr_growing);
	put_losses(out, snap);
	put_kinds(out, snap);
	put_leaks(out, snap);
	fputs(",\"stacks\":[", out);
	for (i = 0; i < snap->nr_stacks; i++) {
		if (i)
			fputc(',', out);
		put_stack(out, snap, &snap->stacks[i]);
	}
	fprintf(out, "],\"exited_processes\":%" PRIu64 ",\"exited_not_exported\":%zu,\"exited\":[",
		snap->exited_procs, snap->nr_exited_omitted);
	for (i = 0; i < snap->nr_exited; i++) {
		if (i)
			fputc(',', out);
		put_exited(out, &snap->exited[i]);
	}
	fputs("]}\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
