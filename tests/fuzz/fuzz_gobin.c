// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for gobin: a Go executable as the traced process's file
 * supplies it (build info, pclntab, DWARF, symbol table, code bytes the
 * site and global scans read), and the pure scanners on raw bytes. Any
 * input may be refused or unsupported; none may crash or yield a result
 * that points outside what it claims.
 *
 * make fuzz; build/fuzz/fuzz_gobin -max_total_time=60 CORPUS_DIR
 * (seeds: Go binaries, stripped ones are smaller: go build -ldflags='-s -w')
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gobin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd_with(const uint8_t *data, size_t size)
{
	int fd = memfd_create("fuzz-gobin", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return -1;
	}
	return fd;
}

static void check_result(const struct go_binary *gb)
{
	size_t i;

	if (strnlen(gb->version, sizeof(gb->version)) == sizeof(gb->version) ||
	    gb->nr_sites > GO_MAX_SITES || (gb->nr_sites && (gb->unsupported || gb->probes_off)))
		abort();
	for (i = 0; i < gb->nr_sites; i++)
		if (!gb->sites[i].where || strlen(gb->sites[i].where) >= sizeof(gb->where_text[0]))
			abort();
}

static void scan_bytes(const uint8_t *data, size_t size)
{
	char version[32];
	uint64_t ptr, addr;
	size_t at;
	int psize;

	(void)gobin__buildinfo_version(data, size, version, sizeof(version), &ptr, &psize);
	if (!gobin__find_call(data, size, 0x401000, 0x402000, &at) && at + 5 > size)
		abort();
	(void)gobin__rip_load(data, size, 0x401000, true, 1, &addr);
	(void)gobin__rip_load(data, size, 0x401000, false, 0, &addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct go_binary *gb;
	int fd, is_go, err;

	scan_bytes(data, size);
	fd = memfd_with(data, size);
	if (fd < 0)
		return 0;
	is_go = gobin__is_go(fd);
	err = gobin__analyze(fd, &gb);
	if (!err) {
		if (is_go != 1)
			abort();
		check_result(gb);
		gobin__free(gb);
	} else if (err != -ENOEXEC && err != -EINVAL && err != -ENOMEM) {
		abort();
	}
	close(fd);
	return 0;
}
