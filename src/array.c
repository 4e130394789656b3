// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"

int array__reserve(void *arrayp, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t new_cap = *cap ? *cap : (first ? first : 1);
	void *array, *bigger;

	if (need <= *cap)
		return 0;
	while (new_cap < need) {
		if (new_cap > SIZE_MAX / 2)
			return -ENOMEM;
		new_cap *= 2;
	}
	if (size && new_cap > SIZE_MAX / size)
		return -ENOMEM;
	/* Through memcpy: arrayp points to a pointer of any object type. */
	memcpy(&array, arrayp, sizeof(array));
	bigger = realloc(array, new_cap * (size ? size : 1));
	if (!bigger)
		return -ENOMEM;
	memcpy(arrayp, &bigger, sizeof(bigger));
	*cap = new_cap;
	return 0;
}
