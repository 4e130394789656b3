// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>

#include "textsafe.h"

static bool is_continuation(unsigned char byte)
{
	return (byte & 0xc0) == 0x80;
}

/* Length of the sequence a lead byte starts and its payload bits; 0 when it cannot lead. */
static size_t sequence_length(unsigned char lead, uint32_t *bits)
{
	if (lead < 0x80) {
		*bits = lead;
		return 1;
	}
	if (lead >= 0xc2 && lead <= 0xdf) {
		*bits = lead & 0x1f;
		return 2;
	}
	if (lead >= 0xe0 && lead <= 0xef) {
		*bits = lead & 0x0f;
		return 3;
	}
	if (lead >= 0xf0 && lead <= 0xf4) {
		*bits = lead & 0x07;
		return 4;
	}
	return 0; /* continuation bytes, 0xc0/0xc1 (overlong), 0xf5-0xff */
}

/* The shortest encoding of cp has exactly len bytes, and cp is a scalar value. */
static bool well_formed(uint32_t cp, size_t len)
{
	static const uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};

	if (cp < min_for_len[len] || cp > 0x10ffff)
		return false;
	return cp < 0xd800 || cp > 0xdfff;
}

bool textsafe__is_control(uint32_t cp)
{
	if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
		return true;
	return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t textsafe__next(const char *s, uint32_t *cp, enum text_class *cls)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t value;
	size_t len = sequence_length(p[0], &value), i;

	for (i = 1; i < len; i++) {
		/* A NUL is not a continuation byte: the scan stops before it. */
		if (!is_continuation(p[i]))
			break;
		value = (value << 6) | (p[i] & 0x3f);
	}
	if (!len || i < len || !well_formed(value, len)) {
		*cp = p[0];
		*cls = TEXT_INVALID;
		return 1;
	}
	*cp = value;
	*cls = textsafe__is_control(value) ? TEXT_CONTROL : TEXT_PLAIN;
	return len;
}

/* Copies text into buf with each unsafe unit replaced; invalid bytes by invalid_as. */
static char *sanitize(const char *text, char *buf, size_t len, const char *invalid_as)
{
	size_t used = 0, unit, out_len;
	enum text_class cls;
	const char *out;
	uint32_t cp;

	while (*text) {
		unit = textsafe__next(text, &cp, &cls);
		out = cls == TEXT_PLAIN ? text : cls == TEXT_CONTROL ? "?" : invalid_as;
		out_len = cls == TEXT_PLAIN ? unit : strlen(out);
		if (used + out_len >= len)
			break; /* cut before a character that does not fit, never inside one */
		memmove(buf + used, out, out_len);
		used += out_len;
		text += unit;
	}
	buf[used] = '\0';
	return buf;
}

char *textsafe__terminal(const char *text, char *buf, size_t len)
{
	return sanitize(text, buf, len, "?");
}

char *textsafe__utf8(const char *text, char *buf, size_t len)
{
	return sanitize(text, buf, len, TEXTSAFE_REPLACEMENT);
}
