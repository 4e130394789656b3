// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pprof export (src/pprof.h): a gzipped profile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "checks.h"
#include "snapshot_fixture.h"

#include <zlib.h>

#include "pprof.h"
#include "profile.pb-c.h"
#include "snapshot.h"

/* Gunzips and decodes what pprof__write wrote. */
static Perftools__Profiles__Profile *decode(const char *gz, size_t len)
{
	static unsigned char raw[1 << 20];
	z_stream z = {0};
	Perftools__Profiles__Profile *p;

	check_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)gz;
	z.avail_in = (uInt)len;
	z.next_out = raw;
	z.avail_out = sizeof(raw);
	check_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	p = perftools__profiles__profile__unpack(NULL, z.total_out, raw);
	inflateEnd(&z);
	assert_non_null(p);
	return p;
}

static const char *function_name(const Perftools__Profiles__Profile *p, uint64_t location_id)
{
	const Perftools__Profiles__Location *loc = p->location[location_id - 1];
	const Perftools__Profiles__Function *fn = p->function[loc->line[0]->function_id - 1];

	return p->string_table[fn->name];
}

/*
 * Past the export cap: a "[dropped: ...]" sample holds the rest, so the
 * profile's inuse_space adds up to the snapshot's total, and a comment says it.
 */
static void test_pprof_dropped_marker(void **state)
{
	struct snapshot *snap = make_snapshot();
	Perftools__Profiles__Profile *p;
	int64_t total = 0;
	size_t len = 0, i;
	char *text;

	(void)state;
	text = render_with(pprof__write, snap, &len);
	p = decode(text, len);
	check_eq(p->n_sample, 6);
	for (i = 0; i < p->n_sample; i++)
		total += p->sample[i]->value[0];
	check_eq(total, 5000);
	check_eq(p->sample[5]->value[0], 398);
	check_eq(p->sample[5]->value[1], 1);
	assert_string_equal(function_name(p, p->sample[5]->location_id[0]),
			    "[dropped: 1 more stacks past the 5-stack cap]");
	check_eq(p->n_comment, 1);
	assert_string_equal(
	    p->string_table[p->comment[0]],
	    "memleakd: 1 more stacks holding 398 bytes left out (past the 5-stack cap)");
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(text);
	/* Nothing past the cap: no marker. */
	snap->nr_live_stacks = snap->nr_stacks;
	text = render_with(pprof__write, snap, &len);
	p = decode(text, len);
	check_eq(p->n_sample, 5);
	check_eq(p->n_comment, 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	free(text);
	snapshot__free(snap);
}

static void test_pprof_gzip(void **state)
{
	struct snapshot *snap = make_snapshot();
	size_t len = 0;
	char *text;

	(void)state;
	text = render_with(pprof__write, snap, &len);
	assert_true(len > 20);
	check_eq((unsigned char)text[0], 0x1f); /* gzip magic */
	check_eq((unsigned char)text[1], 0x8b);
	free(text);
	snapshot__free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pprof_gzip),
	    cmocka_unit_test(test_pprof_dropped_marker),
	};

	/* The report prints local time: pin it so the expected text is exact. */
	setenv("TZ", "UTC", 1);
	tzset();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
