// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Emulated processes (src/emulated.c): valgrind's tools and qemu-user told
 * apart from everything else by exe and comm, on names and on a synthetic
 * /proc tree; each one warned about once.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks.h"
#include "emulated.h"

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(emulated__classify("/usr/libexec/valgrind/memcheck-amd64-linux", NULL),
			 EMULATOR_VALGRIND);
	assert_int_equal(emulated__classify("/usr/lib/valgrind/helgrind-arm64-linux", "prog"),
			 EMULATOR_VALGRIND);
	assert_int_equal(emulated__classify("/opt/vg/libexec/valgrind/none-x86-linux", ""),
			 EMULATOR_VALGRIND);
	assert_int_equal(emulated__classify("/tmp/memcheck-amd64-linux (deleted)", NULL),
			 EMULATOR_VALGRIND);
	/* No exe link readable: the tool's comm (cut at 15 bytes). */
	assert_int_equal(emulated__classify("", "memcheck-amd64-"), EMULATOR_VALGRIND);
	assert_int_equal(emulated__classify(NULL, "massif-amd64-li"), EMULATOR_VALGRIND);
	assert_int_equal(emulated__classify("/usr/bin/qemu-aarch64-static", "prog"),
			 EMULATOR_QEMU_USER);
	assert_int_equal(emulated__classify("/usr/bin/qemu-riscv64", NULL), EMULATOR_QEMU_USER);
	/* Not emulators of a process's code. */
	assert_int_equal(emulated__classify("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
			 EMULATOR_NONE);
	assert_int_equal(emulated__classify("/usr/bin/qemu-img", NULL), EMULATOR_NONE);
	assert_int_equal(emulated__classify("/usr/bin/valgrind", "valgrind"), EMULATOR_NONE);
	assert_int_equal(emulated__classify("/usr/bin/bash", "bash"), EMULATOR_NONE);
	assert_int_equal(emulated__classify("/usr/bin/memcheck", "memcheck"), EMULATOR_NONE);
	assert_int_equal(emulated__classify(NULL, "drd"), EMULATOR_NONE);
	assert_int_equal(emulated__classify(NULL, NULL), EMULATOR_NONE);
	assert_string_equal(emulator__name(EMULATOR_VALGRIND), "valgrind");
	assert_string_equal(emulator__name(EMULATOR_QEMU_USER), "qemu-user");
	assert_string_equal(emulator__name(EMULATOR_NONE), "none");
}

/* root/PID with an exe link (exe NULL: none) and a comm file (NULL: none). */
static void fake_process(const char *root, int pid, const char *exe, const char *comm)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d", root, pid);
	assert_int_equal(mkdir(path, 0700), 0);
	if (exe) {
		snprintf(path, sizeof(path), "%s/%d/exe", root, pid);
		assert_int_equal(symlink(exe, path), 0);
	}
	if (comm) {
		snprintf(path, sizeof(path), "%s/%d/comm", root, pid);
		f = fopen(path, "w");
		assert_non_null(f);
		fprintf(f, "%s\n", comm);
		fclose(f);
	}
}

static void test_scan_synthetic_proc(void **state)
{
	char root[] = "/tmp/memleakd-emulated-XXXXXX", cmd[PATH_MAX + 16], path[PATH_MAX];
	struct emulated_watch *w;

	(void)state;
	assert_non_null(mkdtemp(root));
	fake_process(root, 100, "/usr/libexec/valgrind/memcheck-amd64-linux", "memcheck-amd64-");
	fake_process(root, 101, "/usr/bin/qemu-aarch64-static", "prog");
	fake_process(root, 102, NULL, "helgrind-amd64-"); /* exe unreadable */
	fake_process(root, 103, "/usr/bin/bash", "bash");
	fake_process(root, 104, "/usr/bin/qemu-system-x86_64", "qemu-system-x86");
	fake_process(root, 105, NULL, NULL); /* a kernel thread, gone meanwhile */
	fake_process(root, getpid(), "/usr/bin/qemu-x86_64", "me"); /* memleakd: never */
	snprintf(path, sizeof(path), "%s/self", root);
	assert_int_equal(mkdir(path, 0700), 0);
	w = emulated_watch__new(root);
	assert_non_null(w);
	assert_int_equal(emulated_watch__of(w, 100), EMULATOR_VALGRIND);
	assert_int_equal(emulated_watch__of(w, 101), EMULATOR_QEMU_USER);
	assert_int_equal(emulated_watch__of(w, 103), EMULATOR_NONE);
	assert_int_equal(emulated_watch__of(w, 999), EMULATOR_NONE);
	check_eq(emulated_watch__scan(w), 3); /* 100, 101, 102 */
	check_eq(emulated_watch__scan(w), 0); /* once each */
	/* One that appears later is found by the next scan. */
	fake_process(root, 106, "/usr/lib/x86_64-linux-gnu/valgrind/drd-amd64-linux",
		     "drd-amd64-linux");
	check_eq(emulated_watch__scan(w), 1);
	emulated_watch__free(w);
	emulated_watch__free(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_scan_synthetic_proc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
