// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * C++ and Rust name demangling (src/demangle.h), and hostile names.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <gelf.h>
#include <libelf.h>

#include "checks.h"

#include "demangle.h"

static void test_demangle_names(void **state)
{
	static const struct {
		const char *raw, *readable;
	} cases[] = {
	    {"_Znwm", "operator new(unsigned long)"},
	    {"_ZNSt6vectorIiSaIiEE17_M_default_appendEm",
	     "std::vector<int, std::allocator<int> >::_M_default_append(unsigned long)"},
	    {"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write"}, /* Rust legacy */
	    {"_RNvCs15kBYyAo9fc_7mycrate7example", "mycrate::example"},	    /* Rust v0 */
	};
	char *name, *long_name;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		name = demangle(cases[i].raw);
		assert_non_null(name);
		assert_string_equal(name, cases[i].readable);
		free(name);
	}
	assert_null(demangle("malloc"));
	assert_null(demangle("_Z"));
	assert_null(demangle("_Zgarbage!"));
	assert_null(demangle(NULL));
	long_name = malloc(100000);
	assert_non_null(long_name);
	memset(long_name, 'N', 99999);
	memcpy(long_name, "_ZN", 3);
	long_name[99999] = '\0';
	assert_null(demangle(long_name)); /* hostile length: refused, not recursed into */
	free(long_name);
}

/* Base 36 with digits 0-9A-Z, as Itanium substitution sequence ids are written. */
static void seq_id(unsigned int n, char *out)
{
	char digits[16];
	int len = 0;

	do {
		digits[len++] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n % 36];
		n /= 36;
	} while (n);
	while (len)
		*out++ = digits[--len];
	*out = '\0';
}

/*
 * The audit's name (finding 5): each parameter S_IS<k>_S<k>_E names the
 * previous one twice, so the text doubles per parameter. At least len bytes.
 */
static char *doubling_name(size_t len)
{
	char *name = malloc(len + 64), id[16];
	size_t used;
	unsigned int k;

	assert_non_null(name);
	strcpy(name, "_Z1f1BI1AS0_E");
	used = strlen(name);
	for (k = 1; used < len; k++) {
		seq_id(k, id);
		used += (size_t)sprintf(name + used, "S_IS%s_S%s_E", id, id);
	}
	return name;
}

/* Bounded work: the exponential names come back NULL (shown raw), quickly. */
static void test_demangle_exponential(void **state)
{
	static const size_t lengths[] = {113, 173, 233, 423, 1000};
	char *name, *readable;
	size_t i;

	(void)state;
	/* A hang fails the test (SIGALRM) instead of stalling the suite; the work is ~ms. */
	alarm(60);
	for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		name = doubling_name(lengths[i]);
		readable = demangle(name);
		if (readable)
			fail_msg("%zu-byte doubling name demangled to %zu bytes", strlen(name),
				 strlen(readable));
		free(name);
	}
	/* A short one of the same shape is an ordinary name, and still demangles. */
	name = doubling_name(30);
	readable = demangle(name);
	assert_non_null(readable);
	assert_true(strlen(readable) < DEMANGLE_MAX_DEMANGLED_LEN);
	free(readable);
	free(name);
	alarm(0);
}

/* Real long names (LLVM: 613 bytes, 44 substitutions) are not caught by the bounds. */
static void test_demangle_long_real_name(void **state)
{
	static const char llvm[] =
	    "_ZN15LiveDebugValues16InstrRefBasedLDV21depthFirstVLocAndEmitEjRKN4llvm8DenseMapIPKNS1"
	    "_"
	    "12LexicalScopeEPKNS1_10DILocationENS1_12DenseMapInfoIS5_vEENS1_"
	    "6detail12DenseMapPairIS5_"
	    "S8_EEEERKNS2_IS5_NS1_8SmallSetINS1_13DebugVariableELj4ESt4lessISI_EEESA_NSC_IS5_SL_"
	    "EEEERN"
	    "S2_IS5_NS1_11SmallPtrSetIPNS1_17MachineBasicBlockELj4EEESA_NSC_IS5_ST_EEEERNS1_"
	    "11SmallVec"
	    "torINSX_ISt4pairISI_NS_8DbgValueEELj8EEELj8EEERSt10unique_ptrIA_S14_IA_NS_"
	    "10ValueIDNumESt"
	    "14default_deleteIS16_EES17_IS1A_EES1D_RNS1_15SmallVectorImplINS_11VLocTrackerEEERNS1_"
	    "15Ma"
	    "chineFunctionERNS2_ISI_jNS9_ISI_vEENSC_ISI_jEEEERKNS1_16TargetPassConfigE";
	char *readable = demangle(llvm);

	(void)state;
	assert_non_null(readable);
	assert_non_null(
	    strstr(readable, "LiveDebugValues::InstrRefBasedLDV::depthFirstVLocAndEmit("));
	free(readable);
}

/*
 * Found by fuzz_demangle: the Rust demangler hands the output callback
 * empty (NULL, 0) pieces; copying one is undefined (UBSan stops the san build).
 */
static void test_demangle_rust_empty_pieces(void **state)
{
	char *readable = demangle("_RNKC0mye0fmo");

	(void)state;
	free(readable); /* any answer, as long as nothing undefined happened */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_demangle_names),
	    cmocka_unit_test(test_demangle_exponential),
	    cmocka_unit_test(test_demangle_long_real_name),
	    cmocka_unit_test(test_demangle_rust_empty_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
