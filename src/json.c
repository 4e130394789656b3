// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <math.h>

#include "json.h"
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

static void put_stack(FILE *out, const struct snapshot *snap, const struct snapshot_stack *st)
{
	const struct stack_stats *s = &st->stats;
	const struct stack_history *h = st->hist;
	size_t i;

	fprintf(out, "{\"pid\":%u,\"comm\":", s->pid);
	put_string(out, snapshot__comm(snap, (int)s->pid));
	fprintf(out, ",\"kind\":\"%s\"", alloc_kind__name(st->stats.kind));
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
	fputs("],\"problem\":", out);
	put_string(out, snapshot__stack_problem(st));
	fprintf(out, ",\"complete\":%s,\"frames\":[", st->complete ? "true" : "false");
	for (i = 0; i < st->nr_frames; i++) {
		if (i)
			fputc(',', out);
		put_frame(out, &st->frames[i]);
	}
	fputs("]}", out);
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
		",\"targets_not_listed\":%zu}",
		snap->losses.table_failures, snap->losses.stack_ids_full,
		snapshot__nr_omitted(snap), snap->omitted_bytes, snap->nr_procs_omitted);
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
		fprintf(out, ",\"exited\":%s}", snap->procs[i].exited ? "true" : "false");
	}
	fprintf(out,
		"],\"totals\":{\"outstanding_bytes\":%" PRIu64 ",\"outstanding_allocs\":%" PRIu64
		",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64
		",\"live_stacks\":%zu,\"growing_stacks\":%zu},\"losses\":",
		t->outstanding_bytes, t->outstanding_count, t->allocs, t->frees,
		snap->nr_live_stacks, snap->nr_growing);
	put_losses(out, snap);
	fputs(",\"stacks\":[", out);
	for (i = 0; i < snap->nr_stacks; i++) {
		if (i)
			fputc(',', out);
		put_stack(out, snap, &snap->stacks[i]);
	}
	fputs("]}\n", out);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
