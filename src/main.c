// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* memleakd: find memory leaks in running processes with eBPF. */
#include <stdio.h>

#include "exitcodes.h"
#include "log.h"
#include "opts.h"
#include "outcome.h"
#include "session.h"

/* The one place an outcome becomes an exit status (README "Exit codes"). */
static int exit_status(const struct outcome *o)
{
	switch (o->fault) {
	case FAULT_NONE:
		break;
	case FAULT_PERMISSION:
		return EXIT_PERMISSION;
	case FAULT_KERNEL:
		return EXIT_KERNEL;
	case FAULT_TARGET:
		return EXIT_TARGET;
	case FAULT_USAGE:
		return EXIT_USAGE;
	case FAULT_OUTPUT:
		return EXIT_OUTPUT;
	case FAULT_RUN:
	default:
		return EXIT_FAILURE_RUN;
	}
	switch (outcome__verdict(o)) {
	case VERDICT_NOT_ENDED:
	case VERDICT_COMMAND_FAILED:
		return EXIT_COMMAND_FAILED;
	case VERDICT_LEAKS:
		return EXIT_LEAKS;
	case VERDICT_CLEAN:
	case VERDICT_NONE:
	default:
		return EXIT_OK;
	}
}

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
	return exit_status(&outcome);
}
