/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Growable arrays: the one way this program makes room in an array that grows. */
#ifndef MEMLEAKD_ARRAY_H
#define MEMLEAKD_ARRAY_H

#include <stddef.h>

/*
 * Makes room for need elements of size bytes in the array *arrayp points to
 * (any object pointer), whose capacity is *cap: the capacity doubles,
 * starting from first, until need fits; it never shrinks and new room is
 * not zeroed. 0, or -ENOMEM (also on overflow) with the array and *cap
 * unchanged.
 */
int array__reserve(void *arrayp, size_t *cap, size_t need, size_t size, size_t first);

/* Typed form: ARRAY_RESERVE(t->rows, t->cap, t->nr + 1, 4096). */
#define ARRAY_RESERVE(array, cap, need, first)                                                     \
	array__reserve(&(array), &(cap), (need), sizeof(*(array)), (first))

#endif
