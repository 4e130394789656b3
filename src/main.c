// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memleakd: find memory leaks in running processes with eBPF. */
#include <stdio.h>

#include "exitcodes.h"
#include "log.h"
#include "opts.h"
#include "session.h"

int main(int argc, char **argv)
{
	struct opts opts;
	char err[256];
	int ret;

	ret = opts__parse(argc, argv, &opts, err, sizeof(err));
	if (ret == OPTS_EXIT)
		return EXIT_OK;
	if (ret < 0) {
		p_err("%s", err);
		return EXIT_USAGE;
	}
	log__set_level(opts.verbosity);
	return session__run(&opts);
}
