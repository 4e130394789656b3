// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdio.h>

#include "stackid.h"

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME  0x100000001b3ULL

static uint64_t mix_bytes(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t mix_text(uint64_t h, const char *text)
{
	static const char none = '\0';

	while (text && *text) {
		h ^= (unsigned char)*text++;
		h *= FNV_PRIME;
	}
	return mix_bytes(h, &none, 1); /* "ab"+"c" differs from "a"+"bc" */
}

/*
 * A frame by where it is in its file: module, function and offset in it
 * (two call sites in one function are two stacks), else module and file
 * offset. The same build gives the same id on every run and host; a
 * rebuild that moves the code gives new ids.
 */
static uint64_t mix_frame(uint64_t h, const struct frame *f)
{
	uint64_t offset = f->offset;
	uint8_t inlined = (uint8_t)(f->inlined != 0);

	h = mix_text(h, f->module);
	h = mix_text(h, f->symbol);
	h = mix_bytes(h, &inlined, sizeof(inlined));
	return mix_bytes(h, &offset, sizeof(offset));
}

uint64_t stackid__hash(enum alloc_kind kind, const struct frame *frames, size_t nr)
{
	uint32_t kind_tag = (uint32_t)kind;
	uint64_t h = mix_bytes(FNV_OFFSET, &kind_tag, sizeof(kind_tag));
	size_t i;

	for (i = 0; i < nr; i++)
		h = mix_frame(h, &frames[i]);
	return h;
}

const char *stackid__format(uint64_t hash, char buf[17])
{
	snprintf(buf, 17, "%016" PRIx64, hash);
	return buf;
}
