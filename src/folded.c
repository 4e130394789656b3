// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>

#include "folded.h"
#include "textsafe.h"

/*
 * ';' separates frames and a newline ends the record: neither may leak in.
 * The file is UTF-8 text people cat and tools parse: controls (C0, DEL, C1,
 * bidi overrides) become '?', bytes that are not UTF-8 become U+FFFD.
 */
static void put_frame_name(FILE *out, const char *name)
{
	enum text_class cls;
	size_t unit;
	uint32_t cp;

	for (; *name; name += unit) {
		unit = textsafe__next(name, &cp, &cls);
		if (cls == TEXT_INVALID)
			fputs(TEXTSAFE_REPLACEMENT, out);
		else if (cls == TEXT_CONTROL)
			fputc('?', out);
		else if (cp == ';')
			fputc(':', out);
		else
			fwrite(name, 1, unit, out);
	}
}

static void render_stack(FILE *out, const struct snapshot *snap, const struct snapshot_stack *stack)
{
	const char *problem = snapshot__stack_problem(stack);
	char frame[512];
	size_t i;

	put_frame_name(out, snapshot__comm(snap, (int)stack->stats.pid));
	/* Every kind but malloc is marked: ";[mmap]", ";[goroutine]", ";[go-heap]". */
	if (stack->stats.kind != KIND_MALLOC)
		fprintf(out, ";[%s]", alloc_kind__name(stack->stats.kind));
	if (problem) {
		fputs(";[", out);
		put_frame_name(out, problem);
		fputc(']', out);
	}
	for (i = stack->nr_frames; i-- > 0;) {
		fputc(';', out);
		put_frame_name(out,
			       frame__format(&stack->frames[i], FRAME_NAME, frame, sizeof(frame)));
	}
	/* Goroutine stacks weigh their live goroutines, the others their (in-use) bytes. */
	fprintf(out, " %" PRIu64 "\n",
		stack->stats.kind == KIND_GOROUTINE ? stack->stats.outstanding_count
						    : stack->stats.outstanding_bytes);
}

int folded__render(FILE *out, const struct snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_stacks; i++)
		render_stack(out, snap, &snap->stacks[i]);
	/* Flame graph tools skip a line without a trailing count: the cut is said, not drawn. */
	if (snapshot__nr_omitted(snap))
		fprintf(out,
			"# memleakd: %zu more stacks holding %" PRIu64
			" bytes left out (past the %zu-stack cap)\n",
			snapshot__nr_omitted(snap), snap->omitted_bytes, snap->max_stacks);
	fflush(out);
	return ferror(out) ? -EIO : 0;
}
