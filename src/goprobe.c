// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdbool.h>

#include "goprobe.h"

_Static_assert(GO_REG_RAX == ML_GO_REG_RAX && GO_REG_RBX == ML_GO_REG_RBX,
	       "gobin.h's registers are the cookie's");
_Static_assert(GO_SITE_CREATE == ML_GO_ROLE_CREATE && GO_SITE_EXIT == ML_GO_ROLE_EXIT,
	       "gobin.h's roles are the cookie's");

/* Whether an 8-byte field at off lies inside a g of g_size bytes and fits a cookie. */
static bool field_ok(uint32_t off, uint32_t g_size)
{
	if (off > GOPROBE_MAX_FIELD_OFFSET || off % 8)
		return false;
	return !g_size || off + 8 <= g_size;
}

static const char *check_site(const struct go_probe_site *site)
{
	if (site->role != GO_SITE_CREATE && site->role != GO_SITE_EXIT)
		return "a Go probe site has an unknown role";
	if (site->reg != GO_REG_RAX && site->reg != GO_REG_RBX)
		return "a Go probe site names an unknown register";
	return NULL;
}

const char *goprobe__check(const struct go_probe_site *sites, size_t nr,
			   const struct go_g_offsets *off)
{
	bool creates = false, exits = false;
	const char *why;
	size_t i;

	if (nr > GO_MAX_SITES)
		return "too many Go probe sites";
	if (!field_ok(off->goid, off->size) || !field_ok(off->gopc, off->size))
		return "runtime.g's goid or gopc offset is out of range";
	for (i = 0; i < nr; i++) {
		why = check_site(&sites[i]);
		if (why)
			return why;
		creates |= sites[i].role == GO_SITE_CREATE;
		exits |= sites[i].role == GO_SITE_EXIT;
	}
	if (!creates || !exits)
		return "no goroutine creation site or no exit site: births and deaths go together";
	return NULL;
}

uint64_t goprobe__cookie(const struct go_probe_site *site, const struct go_g_offsets *off)
{
	return ML_GO_COOKIE(site->reg, site->role, off->goid, off->gopc);
}

const char *goprobe__program(const struct go_probe_site *site)
{
	return site->role == GO_SITE_CREATE ? "go_create" : "go_exit";
}
