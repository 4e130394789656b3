// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <sys/wait.h>

#include "command.h"
#include "outcome.h"

enum verdict outcome__verdict(const struct outcome *o)
{
	if (o->fault != FAULT_NONE || !o->command_mode)
		return VERDICT_NONE;
	if (!o->command_done)
		return VERDICT_NOT_ENDED;
	if (!WIFEXITED(o->command_status) || WEXITSTATUS(o->command_status) != 0)
		return VERDICT_COMMAND_FAILED;
	if (o->fail_on_leaks && o->leaked_bytes >= o->fail_bytes)
		return VERDICT_LEAKS;
	return VERDICT_CLEAN;
}

void outcome__say_verdict(const struct outcome *o, FILE *out)
{
	char how[96];

	switch (outcome__verdict(o)) {
	case VERDICT_NOT_ENDED:
		fprintf(out, "memleakd: stopped before the command ended; no leak verdict\n");
		break;
	case VERDICT_COMMAND_FAILED:
		fprintf(out, "memleakd: the command %s\n",
			command__describe(o->command_status, how, sizeof(how)));
		break;
	case VERDICT_LEAKS:
		fprintf(out,
			"memleakd: LEAKS: %" PRIu64
			" bytes not freed at exit (--fail-on-leaks=%" PRIu64 ")\n",
			o->leaked_bytes, o->fail_bytes);
		break;
	case VERDICT_CLEAN:
		fprintf(out, "memleakd: the command %s; %" PRIu64 " bytes not freed at exit\n",
			command__describe(o->command_status, how, sizeof(how)), o->leaked_bytes);
		break;
	case VERDICT_NONE:
		break;
	}
}
