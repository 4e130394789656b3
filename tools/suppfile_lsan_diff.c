// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * For tools/suppfile_lsan_diff.sh: which leaks memleakd's matcher
 * (src/suppfile.c) suppresses, to compare with LeakSanitizer's own verdict.
 *
 *	suppfile_lsan_diff SUPPFILE FRAMES
 *
 * FRAMES holds LSan's stacks as the script writes them: "LEAK SIZE" starts
 * a stack, each "FRAME FUNCTION|FILE|MODULE" line is one of its frames
 * (LSan's stack_trace_format "%f|%s|%m"). Prints the sizes of the leaks no
 * pattern suppresses, ascending, on one line, or "ERR cause".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suppfile.h"

#define MAX_LEAKS 256

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

/* Splits "FUNCTION|FILE|MODULE" in place; an empty field becomes NULL. */
static void split_frame(char *line, char *field[3])
{
	int i;

	for (i = 0; i < 3; i++) {
		field[i] = line && *line && *line != '|' ? line : NULL;
		line = line ? strchr(line, '|') : NULL;
		if (line)
			*line++ = '\0';
	}
}

int main(int argc, char **argv)
{
	long left[MAX_LEAKS], size = -1;
	bool suppressed = false;
	struct suppfile *s;
	char err[512], line[8192], *field[3];
	size_t nr = 0, i;
	FILE *f;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SUPPFILE FRAMES\n", argv[0]);
		return 2;
	}
	if (suppfile__load(argv[1], &s, err, sizeof(err))) {
		printf("ERR %s\n", err);
		return 0;
	}
	f = fopen(argv[2], "r");
	if (!f) {
		perror(argv[2]);
		suppfile__free(s);
		return 2;
	}
	for (;;) {
		bool more = fgets(line, sizeof(line), f);

		if (!more || !strncmp(line, "LEAK ", 5)) {
			if (size >= 0 && !suppressed && nr < MAX_LEAKS)
				left[nr++] = size;
			if (!more)
				break;
			size = strtol(line + 5, NULL, 10);
			suppressed = false;
		} else if (!strncmp(line, "FRAME ", 6) && !suppressed) {
			line[strcspn(line, "\n")] = '\0';
			split_frame(line + 6, field);
			suppressed = suppfile__match_frame(s, field[0], field[1], field[2]);
		}
	}
	fclose(f);
	suppfile__free(s);
	qsort(left, nr, sizeof(left[0]), cmp_long);
	for (i = 0; i < nr; i++)
		printf("%ld ", left[i]);
	printf("\n");
	return 0;
}
