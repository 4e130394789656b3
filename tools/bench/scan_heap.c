// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A heap for tools/bench/scan_cost.sh: SMALL_MIB of 64-byte blocks in one
 * linked list and BIG_MIB blocks of 1 MiB held in a global array, all
 * reachable, then it waits. Usage: scan_heap SMALL_MIB BIG_MIB
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node {
	struct node *next;
	char pad[56];
};

static struct node *list;
static void *bigs[4096];

int main(int argc, char **argv)
{
	long small_mib = argc > 1 ? atol(argv[1]) : 64, big_mib = argc > 2 ? atol(argv[2]) : 0;
	struct node *n;
	long i;

	for (i = 0; i < small_mib * 16384; i++) {
		n = malloc(sizeof(*n));
		if (!n)
			return 1;
		n->next = list;
		list = n;
	}
	for (i = 0; i < big_mib && i < 4096; i++) {
		bigs[i] = malloc(1 << 20);
		if (!bigs[i])
			return 1;
		memset(bigs[i], 0, 1 << 20);
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
