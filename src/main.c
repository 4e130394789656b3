// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memleakd: find memory leaks in running processes with eBPF. */
#include <stdio.h>

#include "exitcodes.h"
#include "log.h"
#include "opts.h"
#include "outcome.h"
#include "session.h"

int main(int argc, char **argv)
{
	struct outcome outcome;
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
	if (session__run(&opts, &outcome) && outcome.fault == FAULT_NONE)
		outcome.fault = FAULT_RUN;
	return outcome__exit_status(&outcome);
}
