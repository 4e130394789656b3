// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "flamegraph.h"
#include "textsafe.h"
#include "units.h"

#define WIDTH	     1200.0
#define FRAME_HEIGHT 17
#define TOP_MARGIN   58
#define MIN_WIDTH_PX 0.3  /* narrower boxes are left out: invisible, and they bloat the file */
#define NAME_LEN     256  /* bytes of a box's name, cut at a character boundary */
#define FORMAT_LEN   1024 /* a frame formatted before the cut */
#define NO_NODE	     ((size_t)-1) /* out of memory */

struct node {
	char name[NAME_LEN];	     /* valid UTF-8 without controls (textsafe__utf8) */
	uint64_t bytes;		     /* the box's weight: bytes, plus live goroutines */
	uint64_t goroutines;	     /* of bytes: live goroutines (KIND_GOROUTINE stacks) */
	uint64_t growing_bytes;	     /* of bytes: on growing stacks (goroutines included) */
	uint64_t growing_goroutines; /* of those: live goroutines */
	double growth;		     /* bytes/s summed over the growing stacks through this node */
	double goroutine_growth;     /* goroutines/s, the same over goroutine stacks */
	size_t first_child, next_sibling; /* indices; 0 = none (node 0 is the root) */
};

struct tree {
	struct node *nodes;
	size_t nr, cap;
	size_t max_depth;
};

/* clean: a name already made safe and cut to NAME_LEN. */
static size_t add_node(struct tree *t, const char *clean)
{
	if (ARRAY_RESERVE(t->nodes, t->cap, t->nr + 1, 256))
		return NO_NODE;
	memset(&t->nodes[t->nr], 0, sizeof(t->nodes[0]));
	memcpy(t->nodes[t->nr].name, clean, strlen(clean) + 1);
	return t->nr++;
}

/*
 * The child of parent called name, created when missing; NO_NODE when out of
 * memory. Names come from the target: the SVG must stay well-formed XML, so
 * invalid UTF-8 becomes U+FFFD and the cut never splits a character.
 */
static size_t child(struct tree *t, size_t parent, const char *name)
{
	char clean[NAME_LEN];
	size_t c, made;

	textsafe__utf8(name, clean, sizeof(clean));
	for (c = t->nodes[parent].first_child; c; c = t->nodes[c].next_sibling)
		if (!strcmp(t->nodes[c].name, clean))
			return c;
	made = add_node(t, clean);
	if (made == NO_NODE)
		return NO_NODE;
	t->nodes[made].next_sibling = t->nodes[parent].first_child;
	t->nodes[parent].first_child = made;
	return made;
}

/* What a stack weighs: its live goroutines, or its outstanding (in-use) bytes. */
static uint64_t weight_of(const struct snapshot_stack *st)
{
	return st->stats.kind == KIND_GOROUTINE ? st->stats.outstanding_count
						: st->stats.outstanding_bytes;
}

static void credit(struct node *n, const struct snapshot_stack *st)
{
	bool growing = st->hist && st->hist->growing;
	uint64_t weight = weight_of(st);

	n->bytes += weight;
	if (st->stats.kind == KIND_GOROUTINE)
		n->goroutines += weight;
	if (growing) {
		n->growing_bytes += weight;
		if (st->stats.kind == KIND_GOROUTINE) {
			n->growing_goroutines += weight;
			n->goroutine_growth += st->hist->trend.rate;
		} else {
			n->growth += st->hist->trend.rate;
		}
	}
}

/* Every kind but malloc has a box of its own under the process: "[mmap]", "[goroutine]"... */
static int add_kind_node(struct tree *t, const struct snapshot_stack *st, size_t *at)
{
	char marker[32];

	if (st->stats.kind == KIND_MALLOC)
		return 0;
	snprintf(marker, sizeof(marker), "[%s]", alloc_kind__name(st->stats.kind));
	*at = child(t, *at, marker);
	if (*at == NO_NODE)
		return -ENOMEM;
	credit(&t->nodes[*at], st);
	return 1;
}

static int add_stack(struct tree *t, const struct snapshot *snap, const struct snapshot_stack *st)
{
	char name[FORMAT_LEN];
	const char *problem = snapshot__stack_problem(st);
	size_t at, depth = 1, i;
	int err;

	credit(&t->nodes[0], st);
	at = child(t, 0, snapshot__comm(snap, (int)st->stats.pid));
	if (at == NO_NODE)
		return -ENOMEM;
	credit(&t->nodes[at], st);
	err = add_kind_node(t, st, &at);
	if (err < 0)
		return err;
	depth += (size_t)err;
	if (problem) {
		at = child(t, at, problem);
		if (at == NO_NODE)
			return -ENOMEM;
		credit(&t->nodes[at], st);
		depth++;
	}
	for (i = st->nr_frames; i-- > 0;) {
		at = child(t, at, frame__format(&st->frames[i], FRAME_NAME, name, sizeof(name)));
		if (at == NO_NODE)
			return -ENOMEM;
		credit(&t->nodes[at], st);
		depth++;
	}
	if (depth > t->max_depth)
		t->max_depth = depth;
	return 0;
}

/*
 * At most max_chars characters of text as XML character data. Node names
 * are already valid UTF-8 without controls; the XML markup characters are
 * escaped, and U+FFFE/U+FFFF, which XML does not allow, become U+FFFD.
 */
static void put_escaped(FILE *out, const char *text, size_t max_chars)
{
	enum text_class cls;
	size_t unit;
	uint32_t cp;

	for (; *text && max_chars; text += unit, max_chars--) {
		unit = textsafe__next(text, &cp, &cls);
		if (cls != TEXT_PLAIN)
			fputc('?', out); /* not in a node name; kept for any other caller */
		else if (cp == '&')
			fputs("&amp;", out);
		else if (cp == '<')
			fputs("&lt;", out);
		else if (cp == '>')
			fputs("&gt;", out);
		else if (cp == '"')
			fputs("&quot;", out);
		else if (cp == 0xfffe || cp == 0xffff)
			fputs(TEXTSAFE_REPLACEMENT, out);
		else
			fwrite(text, 1, unit, out);
	}
}

/* Characters (not bytes) in text: what the label's width depends on. */
static size_t nr_chars(const char *text)
{
	enum text_class cls;
	uint32_t cp;
	size_t n = 0;

	for (; *text; text += textsafe__next(text, &cp, &cls))
		n++;
	return n;
}

/* Warm colours keyed by the name, so a function keeps its colour between files. */
static void fill_of(const struct node *n, char *buf, size_t len)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = n->name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	/* Light violet, readable under black text, far from the warm palette. */
	if (n->growing_bytes)
		snprintf(buf, len, "rgb(%u,%u,%u)", 195 + h % 30, 140 + (h >> 8) % 40,
			 240 + (h >> 16) % 16);
	else
		snprintf(buf, len, "rgb(%u,%u,%u)", 220 + h % 35, 90 + (h >> 8) % 110,
			 40 + (h >> 16) % 50);
}

/* The title's amount: " — 1.5 KiB (1536 B, 12.0%)", or " — 12 goroutines (...)". */
static void put_amount(FILE *out, const struct node *n, uint64_t total)
{
	char human[HUMAN_BYTES_LEN], rate[HUMAN_BYTES_LEN];
	uint64_t bytes = n->bytes - n->goroutines;
	double share = 100.0 * (double)n->bytes / (double)(total ? total : 1);
	bool bytes_grow = n->growing_bytes > n->growing_goroutines;

	if (!bytes)
		fprintf(out, " \xe2\x80\x94 %" PRIu64 " goroutines (%.1f%%)", n->goroutines, share);
	else if (!n->goroutines)
		fprintf(out, " \xe2\x80\x94 %s (%" PRIu64 " B, %.1f%%)", format_bytes(bytes, human),
			bytes, share);
	else
		fprintf(out, " \xe2\x80\x94 %s (%" PRIu64 " B) and %" PRIu64 " goroutines",
			format_bytes(bytes, human), bytes, n->goroutines);

	if (!n->growing_bytes)
		return;
	fputs("; growing", out);
	if (bytes_grow)
		fprintf(out, " +%s/s", format_bytes((uint64_t)n->growth, rate));
	if (n->growing_goroutines)
		fprintf(out, "%s %+.1f goroutines/s", bytes_grow ? "," : "", n->goroutine_growth);
}

static void draw(FILE *out, const struct tree *t, size_t idx, double x, size_t depth, double scale,
		 double height)
{
	const struct node *n = &t->nodes[idx];
	double w = (double)n->bytes * scale, y = height - (double)(depth + 1) * FRAME_HEIGHT, cx;
	char fill[32];
	size_t c, chars;

	if (w < MIN_WIDTH_PX)
		return;
	fill_of(n, fill, sizeof(fill));
	fprintf(out, "<g%s><title>", n->growing_bytes ? " class=\"growing\"" : "");
	put_escaped(out, n->name, SIZE_MAX);
	put_amount(out, n, t->nodes[0].bytes);
	fprintf(out,
		"</title><rect x=\"%.2f\" y=\"%.0f\" width=\"%.2f\" height=\"%d\" fill=\"%s\" "
		"rx=\"2\"%s/>",
		x, y, w, FRAME_HEIGHT - 1, fill,
		n->growing_bytes ? " stroke=\"#5a0a5a\" stroke-width=\"1\"" : "");
	/* The name when it fits (7 px per character at 12 px), cut with ".." otherwise. */
	chars = (size_t)((w - 6) / 7);
	if (chars >= 5) {
		fprintf(out, "<text x=\"%.2f\" y=\"%.0f\">", x + 3, y + FRAME_HEIGHT - 5);
		if (nr_chars(n->name) <= chars) {
			put_escaped(out, n->name, SIZE_MAX);
		} else {
			put_escaped(out, n->name, chars - 2);
			fputs("..", out);
		}
		fputs("</text>", out);
	}
	fputs("</g>\n", out);
	cx = x;
	for (c = n->first_child; c; c = t->nodes[c].next_sibling) {
		draw(out, t, c, cx, depth + 1, scale, height);
		cx += (double)t->nodes[c].bytes * scale;
	}
}

static void header(FILE *out, const struct snapshot *snap, double height)
{
	char total[HUMAN_BYTES_LEN];

	fprintf(out,
		"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" "
		"height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans Mono, "
		"Menlo, Consolas, monospace\" font-size=\"12\">\n"
		"<style>text { fill: #000; pointer-events: none; } g:hover rect { stroke: #000; "
		"stroke-width: 1.5; }</style>\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"#fbfaf6\"/>\n"
		"<text x=\"%.0f\" y=\"22\" text-anchor=\"middle\" font-size=\"16\">"
		"memleakd: outstanding memory by call stack</text>\n",
		WIDTH, height, WIDTH, height, WIDTH / 2);
	fprintf(out,
		"<text x=\"10\" y=\"44\">%s in %" PRIu64 " allocations, %zu stacks; %zu growing"
		"</text>\n",
		format_bytes(snap->totals.outstanding_bytes, total), snap->totals.outstanding_count,
		snap->nr_live_stacks, snap->nr_growing);
	fprintf(out,
		"<rect x=\"%.0f\" y=\"33\" width=\"14\" height=\"14\" fill=\"rgb(205,155,245)\" "
		"stroke=\"#5a0a5a\"/><text x=\"%.0f\" y=\"44\">growing stack</text>\n"
		"<rect x=\"%.0f\" y=\"33\" width=\"14\" height=\"14\" fill=\"rgb(235,150,60)\"/>"
		"<text x=\"%.0f\" y=\"44\">other</text>\n",
		WIDTH - 250, WIDTH - 230, WIDTH - 110, WIDTH - 90);
	if (snapshot__nr_omitted(snap))
		fprintf(
		    out,
		    "<text x=\"10\" y=\"56\" font-size=\"11\">not drawn: %zu more stacks holding "
		    "%s, past the %zu-stack cap</text>\n",
		    snapshot__nr_omitted(snap), format_bytes(snap->omitted_bytes, total),
		    snap->max_stacks);
}

int flamegraph__render(FILE *out, const struct snapshot *snap)
{
	struct tree t = {0};
	double height, scale;
	size_t i;
	int err = 0;

	if (add_node(&t, "all") == NO_NODE) {
		free(t.nodes);
		return -ENOMEM;
	}
	for (i = 0; i < snap->nr_stacks && !err; i++)
		err = add_stack(&t, snap, &snap->stacks[i]);
	if (err) {
		free(t.nodes);
		return err;
	}
	height = TOP_MARGIN + (double)(t.max_depth + 1) * FRAME_HEIGHT + 10;
	header(out, snap, height);
	if (t.nodes[0].bytes) {
		scale = (WIDTH - 20) / (double)t.nodes[0].bytes;
		fputs("<g transform=\"translate(10,0)\">\n", out);
		draw(out, &t, 0, 0, 0, scale, height - 10);
		fputs("</g>\n", out);
	} else {
		fprintf(out, "<text x=\"10\" y=\"80\">no outstanding allocations</text>\n");
	}
	fputs("</svg>\n", out);
	free(t.nodes);
	return ferror(out) ? -EIO : 0;
}
