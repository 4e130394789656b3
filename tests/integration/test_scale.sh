#!/bin/bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Audit finding 22: the periodic refresh skips a process whose maps are
# unchanged; a library mapped later must still be found by it.

# READY records ignored (MEMLEAKD_TEST_IGNORE_READY, test only): the library
# dlopen maps is found by the periodic refresh alone, which must not take
# the changed maps for unchanged ones: its unwind table arrives and its
# callers are named.
test_scale_refresh_finds_dlopen() {
	local folded="$WORK/scale-dlopen.folded" leaked got
	start_fixture dlopener "$PWD/$FIX/libleaklib.so" 200 3
	MEMLEAKD_TEST_IGNORE_READY=1 start_memleakd -p "$FIXTURE_PID" -i 1 --folded "$folded"
	finish_traced '^leaked'
	leaked=$(sed -n 's/^leaked //p' "$FIXTURE_OUT")
	got=$(folded_bytes "$folded" ";main;use_library;leaklib_make;leaklib_inner")
	[ "$got" = "$leaked" ] ||
		fail "expected $leaked B under main;use_library;leaklib_make;leaklib_inner, got '$got':" \
			"$(cat "$folded")" "$(cat "$ML_ERR")"
}
