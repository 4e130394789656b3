// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>

#include "command.h"
#include "exitcodes.h"
#include "outcome.h"
#include "units.h"

/* What the gate counts of o->leaks: blocks and their bytes. */
struct gate_count {
	uint64_t bytes;
	uint64_t count;
};

/*
 * Whether the gate counts blocks of class cls. A command killed by a
 * signal never reached _exit, so nothing was scanned: as LSan, which checks
 * nothing then, its unclassified blocks are no verdict and its 128+N
 * passes through (blocks a scan found lost, in its children, still count).
 */
static bool gate_counts(const struct outcome *o, enum reach_class cls)
{
	if (cls == REACH_UNSCANNED && o->command_done && WIFSIGNALED(o->command_status))
		return o->gate == GATE_REACHABLE;
	return o->gate == GATE_REACHABLE || cls != REACH_REACHABLE;
}

static struct gate_count gate_count(const struct outcome *o)
{
	struct gate_count sum = {0, 0};
	int cls;

	for (cls = 0; cls < NR_REACH_CLASSES; cls++) {
		if (!gate_counts(o, (enum reach_class)cls))
			continue;
		sum.bytes += o->leaks.bytes[cls];
		sum.count += o->leaks.count[cls];
	}
	return sum;
}

/* One block (of any size, 0 included), or fail_bytes bytes when set. */
static bool gate_reached(const struct outcome *o)
{
	struct gate_count counted = gate_count(o);

	if (!o->fail_on_leaks)
		return false;
	if (o->fail_bytes > 0)
		return counted.bytes >= o->fail_bytes;
	return counted.count >= 1;
}

static bool command_failed(int wait_status)
{
	return !WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0;
}

enum verdict outcome__verdict(const struct outcome *o)
{
	if (o->fault != FAULT_NONE || !o->command_mode)
		return VERDICT_NONE;
	if (!o->command_done)
		return VERDICT_NOT_ENDED;
	/* The leaks first: a failing command that leaked must not pass as merely failing. */
	if (gate_reached(o))
		return VERDICT_LEAKS;
	if (command_failed(o->command_status))
		return VERDICT_COMMAND_FAILED;
	return VERDICT_CLEAN;
}

/* The command's own status, as a shell gives it: N, or 128+N for signal N. */
static int command_exit_status(int wait_status)
{
	if (WIFEXITED(wait_status))
		return WEXITSTATUS(wait_status);
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return EXIT_FAILURE_RUN; /* neither exited nor killed: not a status waitpid gives */
}

static int fault_exit_status(enum fault fault)
{
	switch (fault) {
	case FAULT_NONE:
		return EXIT_OK;
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
}

int outcome__exit_status(const struct outcome *o)
{
	if (o->fault != FAULT_NONE)
		return fault_exit_status(o->fault);
	switch (outcome__verdict(o)) {
	case VERDICT_NOT_ENDED:
		return EXIT_NOT_ENDED;
	case VERDICT_LEAKS:
		/* valgrind's --error-exitcode=0: leaks are reported, the status is the command's.
		 */
		if (o->error_exitcode != 0)
			return o->error_exitcode & 0xff;
		return command_exit_status(o->command_status);
	case VERDICT_CLEAN:
	case VERDICT_COMMAND_FAILED:
		return command_exit_status(o->command_status);
	case VERDICT_NONE:
	default:
		return EXIT_OK;
	}
}

/* --- the verdict line ------------------------------------------------------ */

/* The classes in the order the line names them: the worst first. */
static const enum reach_class said_order[] = {REACH_LOST, REACH_INDIRECT, REACH_UNSCANNED,
					      REACH_REACHABLE};

static const char *class_words(enum reach_class cls)
{
	switch (cls) {
	case REACH_LOST:
		return " definitely lost";
	case REACH_INDIRECT:
		return " indirectly lost";
	case REACH_REACHABLE:
		return " still reachable";
	case REACH_UNSCANNED:
	default:
		return ""; /* "... in 3 blocks no scan classified" */
	}
}

/* "96 bytes definitely lost in 3 blocks", and what that class means for the gate. */
static void say_class(const struct outcome *o, enum reach_class cls, FILE *out)
{
	char bytes[HUMAN_COUNT_LEN], count[HUMAN_COUNT_LEN];
	uint64_t nr_bytes = o->leaks.bytes[cls], nr_blocks = o->leaks.count[cls];

	fprintf(out, "%s byte%s%s in %s block%s", format_count(nr_bytes, bytes),
		nr_bytes == 1 ? "" : "s", class_words(cls), format_count(nr_blocks, count),
		nr_blocks == 1 ? "" : "s");
	if (cls == REACH_UNSCANNED)
		fputs(" no scan classified", out);
	if (!o->fail_on_leaks || o->gate != GATE_LOST)
		return;
	if (cls == REACH_UNSCANNED)
		fputs(gate_counts(o, cls) ? " (counted as lost)"
					  : " (not counted: the command died of a signal)",
		      out);
	else if (cls == REACH_REACHABLE)
		fputs(" (not leaks)", out);
}

/*
 * The classes with blocks in them, only those the gate counts when
 * counted_only: how many were said.
 */
static int say_classes(const struct outcome *o, bool counted_only, FILE *out)
{
	size_t i;
	int said = 0;

	for (i = 0; i < sizeof(said_order) / sizeof(said_order[0]); i++) {
		enum reach_class cls = said_order[i];

		if (!o->leaks.count[cls] && !o->leaks.bytes[cls])
			continue;
		if (counted_only && !gate_counts(o, cls))
			continue;
		if (said++)
			fputs(", ", out);
		say_class(o, cls, out);
	}
	return said;
}

/* "--fail-on-leaks", "--fail-on-leaks=4096", "--fail-on-leaks=reachable". */
static void say_gate(const struct outcome *o, FILE *out)
{
	fputs("--fail-on-leaks", out);
	if (o->gate == GATE_REACHABLE)
		fputs("=reachable", out);
	if (o->fail_bytes > 0)
		fprintf(out, "%s%" PRIu64, o->gate == GATE_REACHABLE ? " at " : "=", o->fail_bytes);
}

static void say_command(const struct outcome *o, FILE *out)
{
	char how[96];

	fprintf(out, "; the command %s\n", command__describe(o->command_status, how, sizeof(how)));
}

static void say_leaks(const struct outcome *o, FILE *out)
{
	fputs("memleakd: LEAKS: ", out);
	say_classes(o, true, out);
	fputs(" (", out);
	say_gate(o, out);
	fputc(')', out);
	say_command(o, out);
}

/* No gate reached: what the processes left at exit, and the command's status. */
static void say_no_leaks(const struct outcome *o, FILE *out)
{
	struct gate_count counted = gate_count(o);

	fputs("memleakd: ", out);
	if (o->fail_on_leaks)
		fputs(counted.count ? "under the gate: " : "no leaks: ", out);
	if (!say_classes(o, false, out))
		fputs("0 bytes not freed", out);
	fputs(" at exit", out);
	if (o->fail_on_leaks && counted.count) {
		fputs(" (", out);
		say_gate(o, out);
		fputc(')', out);
	}
	say_command(o, out);
}

void outcome__say_verdict(const struct outcome *o, FILE *out)
{
	switch (outcome__verdict(o)) {
	case VERDICT_NOT_ENDED:
		fprintf(out, "memleakd: stopped before the command ended; no leak verdict\n");
		break;
	case VERDICT_LEAKS:
		say_leaks(o, out);
		break;
	case VERDICT_COMMAND_FAILED:
	case VERDICT_CLEAN:
		say_no_leaks(o, out);
		break;
	case VERDICT_NONE:
		break;
	}
}
