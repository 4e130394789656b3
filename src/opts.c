// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <linux/types.h>

#include "exitcodes.h"
#include "memleak.h"
#include "opts.h"
#include "outcome.h"

#ifndef MEMLEAKD_VERSION
#define MEMLEAKD_VERSION "0.1.0"
#endif

const struct opts opts_defaults = {
    .nr_pids = 0,
    .interval_s = 5.0,		  /* -i */
    .duration_s = 0.0,		  /* -d: run until stopped */
    .top = 10,			  /* -n */
    .min_size = 0,		  /* --min-size */
    .max_size = UINT64_MAX,	  /* --max-size */
    .folded_path = NULL,	  /* --folded */
    .json_path = NULL,		  /* --json */
    .pprof_path = NULL,		  /* --pprof */
    .svg_path = NULL,		  /* --svg */
    .window = 10,		  /* --window: two cycles of a ~4 s sawtooth at -i 1 */
    .min_growth = 64,		  /* --min-growth, bytes/s */
    .sort = 0,			  /* --sort bytes */
    .stack_slots = 16384,	  /* --stack-slots: 127 frames x 8 B = 16 MiB of kernel memory */
    .unwind = UNWIND_AUTO,	  /* --unwind */
    .unwind_rows = 0,		  /* --unwind-rows: sized from the targets' tables */
    .demangle = 1,		  /* --no-demangle */
    .verbosity = 0,		  /* -v */
    .fail_gate = GATE_LOST,	  /* --fail-on-leaks: definitely and indirectly lost blocks */
    .fail_bytes = 0,		  /* --fail-on-leaks: one block, even of 0 bytes */
    .error_exitcode = EXIT_LEAKS, /* --error-exitcode */
    .scan_s = 0,		  /* --scan: no pauses of live targets */
    .scan_max_bytes = 4ULL << 30, /* --scan-max-bytes */
    .go_census_every = 3,	  /* --go-census: at -i 5, every 15 s */
    .go_heap_sampling = 0,	  /* --go-heap-sampling: off */
    .go_min_growth = 0.1,	  /* --go-min-growth: one goroutine per 10 s */
    .metrics_top = 20,		  /* --metrics-top */
    .exited_max_stacks = 2000,	  /* --max-exited-stacks */
};

enum {
	OPT_MIN_SIZE = 256,
	OPT_MAX_SIZE,
	OPT_FOLDED,
	OPT_STACK_SLOTS,
	OPT_UNWIND,
	OPT_UNWIND_ROWS,
	OPT_NO_DEMANGLE,
	OPT_SAMPLE_BYTES,
	OPT_JSON,
	OPT_PPROF,
	OPT_SVG,
	OPT_WINDOW,
	OPT_MIN_GROWTH,
	OPT_SORT,
	OPT_VERSION,
	OPT_FAIL_ON_LEAKS,
	OPT_ERROR_EXITCODE,
	OPT_SUPPRESSIONS,
	OPT_SCAN,
	OPT_NO_EXIT_SCAN,
	OPT_SCAN_MAX_BYTES,
	OPT_COMM,
	OPT_MIN_BYTES,
	OPT_SUPPRESS,
	OPT_NO_DEFAULT_SUPPRESS,
	OPT_MMAP,
	OPT_RINGBUF,
	OPT_USER,
	OPT_GO_CENSUS,
	OPT_GO_CENSUS_ONLY,
	OPT_GO_HEAP_SAMPLING,
	OPT_GO_MIN_GROWTH,
	OPT_METRICS,
	OPT_METRICS_TOP,
	OPT_MAX_EXITED_STACKS,
};

static const struct option long_options[] = {
    {"pid", required_argument, NULL, 'p'},
    {"interval", required_argument, NULL, 'i'},
    {"duration", required_argument, NULL, 'd'},
    {"top", required_argument, NULL, 'n'},
    {"min-size", required_argument, NULL, OPT_MIN_SIZE},
    {"max-size", required_argument, NULL, OPT_MAX_SIZE},
    {"folded", required_argument, NULL, OPT_FOLDED},
    {"stack-slots", required_argument, NULL, OPT_STACK_SLOTS},
    {"unwind", required_argument, NULL, OPT_UNWIND},
    {"unwind-rows", required_argument, NULL, OPT_UNWIND_ROWS},
    {"no-demangle", no_argument, NULL, OPT_NO_DEMANGLE},
    {"sample-bytes", required_argument, NULL, OPT_SAMPLE_BYTES},
    {"json", required_argument, NULL, OPT_JSON},
    {"pprof", required_argument, NULL, OPT_PPROF},
    {"svg", required_argument, NULL, OPT_SVG},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"min-growth", required_argument, NULL, OPT_MIN_GROWTH},
    {"sort", required_argument, NULL, OPT_SORT},
    {"follow", no_argument, NULL, 'f'},
    {"fail-on-leaks", optional_argument, NULL, OPT_FAIL_ON_LEAKS},
    {"error-exitcode", required_argument, NULL, OPT_ERROR_EXITCODE},
    {"suppressions", required_argument, NULL, OPT_SUPPRESSIONS},
    {"scan", required_argument, NULL, OPT_SCAN},
    {"no-exit-scan", no_argument, NULL, OPT_NO_EXIT_SCAN},
    {"scan-max-bytes", required_argument, NULL, OPT_SCAN_MAX_BYTES},
    {"comm", required_argument, NULL, OPT_COMM},
    {"min-bytes", required_argument, NULL, OPT_MIN_BYTES},
    {"suppress", required_argument, NULL, OPT_SUPPRESS},
    {"no-default-suppressions", no_argument, NULL, OPT_NO_DEFAULT_SUPPRESS},
    {"mmap", no_argument, NULL, OPT_MMAP},
    {"ringbuf", required_argument, NULL, OPT_RINGBUF},
    {"user", required_argument, NULL, OPT_USER},
    {"go-census", required_argument, NULL, OPT_GO_CENSUS},
    {"go-census-only", no_argument, NULL, OPT_GO_CENSUS_ONLY},
    {"go-heap-sampling", optional_argument, NULL, OPT_GO_HEAP_SAMPLING},
    {"go-min-growth", required_argument, NULL, OPT_GO_MIN_GROWTH},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"metrics-top", required_argument, NULL, OPT_METRICS_TOP},
    {"max-exited-stacks", required_argument, NULL, OPT_MAX_EXITED_STACKS},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static const char usage_text[] =
    "Usage: memleakd -p PID [-p PID ...] [options]\n"
    "       memleakd [options] -- COMMAND [ARGS...]\n"
    "       memleakd [options]                 (no -p, no command: every process)\n"
    "\n"
    "Find memory leaks in running processes: outstanding (allocated, not yet\n"
    "freed) memory by call stack, every interval, with eBPF uprobes on the\n"
    "process's allocator. Needs root (or CAP_BPF, CAP_PERFMON, CAP_SYS_PTRACE,\n"
    "and CAP_SYS_ADMIN or CAP_CHECKPOINT_RESTORE for /proc/PID/map_files).\n"
    "\n"
    "Target:\n"
    "  -p, --pid PID          trace this process (repeat for several)\n"
    "  -- COMMAND [ARGS]      run COMMAND, traced from its first allocation; the\n"
    "                         report at its exit lists what it never freed\n"
    "  -f, --follow           also trace children (fork) and new images (exec)\n"
    "      --user USER        run the command as USER (name or uid), with its groups;\n"
    "                         e.g. --user \"$USER\" under sudo (default: as memleakd)\n"
    "      --suppress FUNC    ignore stacks through a function named FUNC (a trailing\n"
    "                         '*' matches a prefix); repeatable\n"
    "      --suppressions FILE  LeakSanitizer suppressions ('leak:PATTERN' lines),\n"
    "                         e.g. a project's lsan.supp; repeatable\n"
    "      --no-default-suppressions  also count libc's one-time buffers (stdio)\n"
    "\n"
    "Leak gate (command mode) and reachability:\n"
    "      --fail-on-leaks[=BYTES|reachable]  exit 10 when the processes leaked:\n"
    "                         one block definitely or indirectly lost (unreachable)\n"
    "                         at exit, even of 0 bytes; =BYTES: that many bytes or\n"
    "                         more; =reachable: every block not freed (the old gate).\n"
    "                         Blocks no scan classified count as lost. No leaks:\n"
    "                         the command's own exit status passes through\n"
    "      --error-exitcode N exit status when leaks are found (default 10; 0: the\n"
    "                         command's status even then); turns the gate on\n"
    "      --no-exit-scan     do not stop exiting processes for a scan: their\n"
    "                         blocks stay unclassified (the gate counts them)\n"
    "      --scan SECONDS     pause live targets (-p, every process, the command's)\n"
    "                         for a reachability scan that often (at least 0.1)\n"
    "      --scan-max-bytes BYTES  target memory one scan reads at most (default\n"
    "                         4G, at least 1M); blocks not reached by then stay\n"
    "                         unclassified\n"
    "\n"
    "Reporting:\n"
    "  -i, --interval SEC     seconds between reports (default 5)\n"
    "  -d, --duration SEC     stop after SEC seconds (default: Ctrl-C or target exit)\n"
    "  -n, --top N            stacks per report (default 10)\n"
    "      --min-size BYTES   ignore allocations smaller than BYTES (k/M/G suffixes)\n"
    "      --max-size BYTES   ignore allocations larger than BYTES\n"
    "      --mmap             also trace anonymous mmap/munmap the program calls itself,\n"
    "                         reported as their own kind ([mmap])\n"
    "      --comm NAME        report only processes named NAME (repeatable)\n"
    "      --min-bytes BYTES  show only stacks holding BYTES or more\n"
    "\n"
    "Output:\n"
    "      --folded FILE      write folded stacks (flame graph input), root first,\n"
    "                         outstanding bytes; rewritten atomically every interval\n"
    "      --json FILE|-      append one JSON object per interval (JSON lines)\n"
    "      --pprof FILE       write a gzipped pprof profile (go tool pprof) every interval\n"
    "      --svg FILE         write an SVG flame graph of outstanding bytes every interval\n"
    "\n"
    "Growth:\n"
    "      --window N         intervals the growth test looks back over (default 10)\n"
    "      --min-growth BYTES flag a stack only above BYTES per second (default 64)\n"
    "      --sort bytes|growth  order of the report (default bytes)\n"
    "\n"
    "Stacks:\n"
    "      --unwind MODE      dwarf (default; auto is the same): walk .eh_frame unwind\n"
    "                         tables in the kernel, complete stacks without frame pointers;\n"
    "                         fp: frame pointers only (callers lost in most distro binaries)\n"
    "      --unwind-rows N    unwind table rows (default: what the targets need + 1M)\n"
    "      --stack-slots N    distinct stacks kept (default 16384)\n"
    "      --no-demangle      show C++ and Rust symbols as mangled in the binary\n"
    "\n"
    "Go programs (goroutines by creation site, the runtime's heap profile):\n"
    "      --go-census N      read every Go target's goroutine list every N intervals\n"
    "                         (default 3): wait reasons, blocked times, lost records\n"
    "      --go-census-only   count goroutines by census alone, no probes on their\n"
    "                         births and deaths (for extreme goroutine churn)\n"
    "      --go-heap-sampling[=RATE]  where the linker turned heap profiling off,\n"
    "                         write runtime.MemProfileRate = RATE (default 524288)\n"
    "                         into the target: its allocations from then on are sampled\n"
    "      --go-min-growth N  flag a goroutine site only above N a second (default 0.1)\n"
    "\n"
    "Fleet (a node daemon scraped by Prometheus):\n"
    "      --metrics [ADDR:]PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
    "                         (ADDR defaults to 127.0.0.1; 0.0.0.0 or [::] for every\n"
    "                         interface); refreshed every interval\n"
    "      --metrics-top K    export the K stacks holding most bytes per kind, plus\n"
    "                         up to K more that grow (default 20)\n"
    "      --max-exited-stacks N  stacks the \"left at exit\" tally of exited processes\n"
    "                         keeps (default 2000); the smallest, oldest go first\n"
    "\n"
    "Tuning and diagnostics:\n"
    "      --sample-bytes N   sample one allocation per N bytes on average (byte-based,\n"
    "                         like tcmalloc): bytes become estimates; default: all\n"
    "      --ringbuf BYTES    ring buffer size, a power of two (default: what every CPU\n"
    "                         can produce in 20 ms at the fastest uprobe rate, x2)\n"
    "  -v, --verbose          -v info, -vv debug, -vvv libbpf and verifier output\n"
    "  -h, --help             this text\n"
    "      --version          print the version\n"
    "\n"
    "Examples:\n"
    "  sudo memleakd -p 1234                     # top 10 stacks every 5 s until Ctrl-C\n"
    "  sudo memleakd -p 1234 -i 2 -d 30 -n 5 --folded leaks.folded\n"
    "  sudo memleakd --fail-on-leaks -- ./unit-tests   # a leak gate for CI\n"
    "  sudo memleakd -f -- make check               # and every child it starts\n"
    "  sudo memleakd --user \"$USER\" -f -- make check   # the same, not as root\n"
    "  sudo memleakd --comm nginx --min-bytes 1M    # every process, filtered\n"
    "  flamegraph.pl leaks.folded > leaks.svg    # outstanding bytes as a flame graph\n";

static int fail(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Whole-string unsigned decimal in [min, max]. */
static int parse_uint(const char *text, unsigned long long min, unsigned long long max,
		      unsigned long long *value)
{
	char *end = NULL;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	*value = strtoull(text, &end, 10);
	if (errno || *end || *value < min || *value > max)
		return -EINVAL;
	return 0;
}

static int parse_seconds(const char *text, double min, double max, double *seconds)
{
	char *end = NULL;

	if (!text || !*text)
		return -EINVAL;
	errno = 0;
	*seconds = strtod(text, &end);
	if (errno || *end || !isfinite(*seconds) || *seconds < min || *seconds > max)
		return -EINVAL;
	return 0;
}

int opts__parse_bytes(const char *text, uint64_t *bytes)
{
	unsigned long long value, scale = 1;
	char *end = NULL;

	/* strtoull skips blanks and accepts a sign: only digits may start a size. */
	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	value = strtoull(text, &end, 10);
	if (errno || end == text)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k':
	case 'K':
		scale = 1ULL << 10;
		break;
	case 'm':
	case 'M':
		scale = 1ULL << 20;
		break;
	case 'g':
	case 'G':
		scale = 1ULL << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "B") && strcmp(end + 1, "iB"))
		return -EINVAL;
	if (value > UINT64_MAX / scale)
		return -EINVAL;
	*bytes = value * scale;
	return 0;
}

static int add_pid(struct opts *o, const char *text, char *err, size_t err_len)
{
	unsigned long long pid;
	int i;

	if (parse_uint(text, 1, INT_MAX, &pid))
		return fail(err, err_len, "invalid PID '%s': give a positive process ID", text);
	for (i = 0; i < o->nr_pids; i++)
		if (o->pids[i] == (int)pid)
			return OPTS_RUN; /* -p 5 -p 5 traces it once */
	if (o->nr_pids == OPTS_MAX_PIDS)
		return fail(err, err_len, "too many -p options: at most %d processes",
			    OPTS_MAX_PIDS);
	o->pids[o->nr_pids++] = (int)pid;
	return OPTS_RUN;
}

static int parse_gate_option(int opt, const char *arg, struct opts *o, char *err, size_t err_len);
static int parse_go_option(int opt, const char *arg, struct opts *o, char *err, size_t err_len);
static int parse_fleet_option(int opt, const char *arg, struct opts *o, char *err, size_t err_len);

static int parse_one(struct opts *o, int opt, const char *arg, char *err, size_t err_len)
{
	unsigned long long number;

	switch (opt) {
	case 'p':
		return add_pid(o, arg, err, err_len);
	case 'i':
		if (parse_seconds(arg, 0.1, 86400, &o->interval_s))
			return fail(err, err_len,
				    "invalid interval '%s': give seconds between 0.1 and 86400",
				    arg);
		return OPTS_RUN;
	case 'd':
		if (parse_seconds(arg, 0.1, 31 * 86400.0, &o->duration_s))
			return fail(err, err_len,
				    "invalid duration '%s': give seconds between 0.1 and 2678400",
				    arg);
		return OPTS_RUN;
	case 'n':
		if (parse_uint(arg, 1, 100000, &number))
			return fail(err, err_len,
				    "invalid top '%s': give a count between 1 and 100000", arg);
		o->top = (unsigned int)number;
		return OPTS_RUN;
	case OPT_MIN_SIZE:
		if (opts__parse_bytes(arg, &o->min_size))
			return fail(err, err_len,
				    "invalid --min-size '%s': give bytes, e.g. 64 or 4k", arg);
		return OPTS_RUN;
	case OPT_MAX_SIZE:
		if (opts__parse_bytes(arg, &o->max_size))
			return fail(err, err_len, "invalid --max-size '%s': give bytes, e.g. 1M",
				    arg);
		return OPTS_RUN;
	case OPT_FOLDED:
		if (!*arg)
			return fail(err, err_len, "empty --folded path: give a file name");
		o->folded_path = arg;
		return OPTS_RUN;
	case OPT_STACK_SLOTS:
		if (parse_uint(arg, 1024, 1 << 22, &number))
			return fail(
			    err, err_len,
			    "invalid --stack-slots '%s': give a count between 1024 and 4194304",
			    arg);
		o->stack_slots = (unsigned int)number;
		return OPTS_RUN;
	case OPT_UNWIND:
		if (!strcmp(arg, "fp"))
			o->unwind = UNWIND_FP;
		else if (!strcmp(arg, "dwarf"))
			o->unwind = UNWIND_DWARF;
		else if (!strcmp(arg, "auto"))
			o->unwind = UNWIND_AUTO;
		else
			return fail(err, err_len, "invalid --unwind '%s': give fp, dwarf or auto",
				    arg);
		return OPTS_RUN;
	case OPT_UNWIND_ROWS:
		if (parse_uint(arg, 1024, ML_MAX_UNWIND_ROWS, &number))
			return fail(err, err_len,
				    "invalid --unwind-rows '%s': give a count between 1024 and %u",
				    arg, ML_MAX_UNWIND_ROWS);
		o->unwind_rows = (size_t)number;
		return OPTS_RUN;
	case OPT_JSON:
	case OPT_PPROF:
	case OPT_SVG:
		if (!*arg)
			return fail(err, err_len, "empty output path: give a file name");
		if (opt == OPT_JSON)
			o->json_path = arg;
		else if (opt == OPT_PPROF)
			o->pprof_path = arg;
		else
			o->svg_path = arg;
		return OPTS_RUN;
	case OPT_WINDOW:
		if (parse_uint(arg, 5, 64, &number))
			return fail(
			    err, err_len,
			    "invalid --window '%s': give a count of intervals between 5 and 64",
			    arg);
		o->window = (unsigned int)number;
		return OPTS_RUN;
	case OPT_MIN_GROWTH: {
		uint64_t bytes;

		if (opts__parse_bytes(arg, &bytes))
			return fail(
			    err, err_len,
			    "invalid --min-growth '%s': give bytes per second, e.g. 64 or 1k", arg);
		o->min_growth = (double)bytes;
		return OPTS_RUN;
	}
	case OPT_SORT:
		if (!strcmp(arg, "bytes"))
			o->sort = 0;
		else if (!strcmp(arg, "growth"))
			o->sort = 1;
		else
			return fail(err, err_len, "invalid --sort '%s': give bytes or growth", arg);
		return OPTS_RUN;
	case OPT_SAMPLE_BYTES:
		if (opts__parse_bytes(arg, &o->sample_bytes) || o->sample_bytes > (1ULL << 40))
			return fail(
			    err, err_len,
			    "invalid --sample-bytes '%s': give bytes, e.g. 64k; 0 samples all",
			    arg);
		return OPTS_RUN;
	case OPT_NO_DEMANGLE:
		o->demangle = 0;
		return OPTS_RUN;
	case 'v':
		o->verbosity++;
		return OPTS_RUN;
	case 'f':
		o->follow = 1;
		return OPTS_RUN;
	case OPT_COMM:
		if (!*arg || strlen(arg) > 15)
			return fail(
			    err, err_len,
			    "invalid --comm '%s': give a process name of 1 to 15 characters "
			    "(as in /proc/PID/comm)",
			    arg);
		if (o->nr_comms == OPTS_MAX_COMMS)
			return fail(err, err_len, "too many --comm options: at most %d",
				    OPTS_MAX_COMMS);
		o->comms[o->nr_comms++] = arg;
		return OPTS_RUN;
	case OPT_MIN_BYTES:
		if (opts__parse_bytes(arg, &o->min_bytes))
			return fail(err, err_len,
				    "invalid --min-bytes '%s': give bytes, e.g. 4k or 1M", arg);
		return OPTS_RUN;
	case OPT_SUPPRESS:
		if (!*arg)
			return fail(err, err_len, "empty --suppress: give a function name");
		if (o->nr_suppress == OPTS_MAX_SUPPRESS)
			return fail(err, err_len, "too many --suppress options: at most %d",
				    OPTS_MAX_SUPPRESS);
		o->suppress[o->nr_suppress++] = arg;
		return OPTS_RUN;
	case OPT_USER:
		if (!*arg)
			return fail(err, err_len, "empty --user: give a user name or uid");
		o->user = arg;
		return OPTS_RUN;
	case OPT_NO_DEFAULT_SUPPRESS:
		o->no_default_suppress = 1;
		return OPTS_RUN;
	case OPT_MMAP:
		o->trace_mmap = 1;
		return OPTS_RUN;
	case OPT_RINGBUF: {
		uint64_t bytes;

		if (opts__parse_bytes(arg, &bytes) || bytes < (1u << 20) || bytes > (1u << 30) ||
		    (bytes & (bytes - 1)))
			return fail(err, err_len,
				    "invalid --ringbuf '%s': give a power of two from 1M to 1G, "
				    "e.g. 64M",
				    arg);
		o->ringbuf_bytes = (size_t)bytes;
		return OPTS_RUN;
	}
	default:
		return parse_gate_option(opt, arg, o, err, err_len);
	}
}

/* --fail-on-leaks[=BYTES|reachable]: the gate, what it counts, from how many bytes. */
static int parse_fail_on_leaks(const char *arg, struct opts *o, char *err, size_t err_len)
{
	o->fail_on_leaks = 1;
	o->fail_gate = GATE_LOST;
	o->fail_bytes = 0;
	if (!arg)
		return OPTS_RUN;
	if (!strcmp(arg, "reachable")) {
		o->fail_gate = GATE_REACHABLE;
		return OPTS_RUN;
	}
	/* =0 would read as "off" (as --error-exitcode 0 is): the default already fails at one
	 * block. */
	if (opts__parse_bytes(arg, &o->fail_bytes) || o->fail_bytes == 0)
		return fail(err, err_len,
			    "invalid --fail-on-leaks '%s': give bytes of at least 1 (e.g. "
			    "--fail-on-leaks=4k), 'reachable', or nothing (one lost block fails)",
			    arg);
	return OPTS_RUN;
}

/* The leak gate, suppression files and reachability scans. */
static int parse_gate_option(int opt, const char *arg, struct opts *o, char *err, size_t err_len)
{
	unsigned long long number;

	switch (opt) {
	case OPT_FAIL_ON_LEAKS:
		return parse_fail_on_leaks(arg, o, err, err_len);
	case OPT_ERROR_EXITCODE:
		if (parse_uint(arg, 0, 255, &number))
			return fail(err, err_len,
				    "invalid --error-exitcode '%s': give a status from 0 to 255 "
				    "(0: leaks leave the command's status as it is)",
				    arg);
		o->error_exitcode = (int)number;
		o->fail_on_leaks = 1; /* as LSan's exitcode: the gate is on with it */
		return OPTS_RUN;
	case OPT_SUPPRESSIONS:
		if (!*arg)
			return fail(err, err_len,
				    "empty --suppressions: give a file of 'leak:PATTERN' lines");
		if (o->nr_suppression_files == OPTS_MAX_SUPPRESS)
			return fail(err, err_len, "too many --suppressions files: at most %d",
				    OPTS_MAX_SUPPRESS);
		o->suppression_files[o->nr_suppression_files++] = arg;
		return OPTS_RUN;
	case OPT_SCAN:
		if (parse_seconds(arg, 0.1, 86400, &o->scan_s))
			return fail(
			    err, err_len,
			    "invalid --scan '%s': give seconds between 0.1 and 86400 between "
			    "scans",
			    arg);
		return OPTS_RUN;
	case OPT_NO_EXIT_SCAN:
		o->no_exit_scan = 1;
		return OPTS_RUN;
	case OPT_SCAN_MAX_BYTES:
		if (opts__parse_bytes(arg, &o->scan_max_bytes) || o->scan_max_bytes < (1u << 20))
			return fail(
			    err, err_len,
			    "invalid --scan-max-bytes '%s': give bytes of at least 1M, e.g. "
			    "256M or 8G",
			    arg);
		return OPTS_RUN;
	default:
		return parse_go_option(opt, arg, o, err, err_len);
	}
}

/* The options of Go processes. */
static int parse_go_option(int opt, const char *arg, struct opts *o, char *err, size_t err_len)
{
	char *end;
	long long n;
	double d;

	switch (opt) {
	case OPT_GO_CENSUS:
		n = strtoll(arg, &end, 10);
		if (end == arg || *end || n < 1 || n > 3600)
			return fail(
			    err, err_len,
			    "invalid --go-census '%s': give a number of intervals from 1 to "
			    "3600",
			    arg);
		o->go_census_every = (unsigned int)n;
		return OPTS_RUN;
	case OPT_GO_CENSUS_ONLY:
		o->go_no_probes = 1;
		return OPTS_RUN;
	case OPT_GO_HEAP_SAMPLING:
		o->go_heap_sampling = 524288; /* the runtime's own default */
		if (!arg)
			return OPTS_RUN;
		n = strtoll(arg, &end, 10);
		if (end == arg || *end || n < 1 || n > (1LL << 30))
			return fail(err, err_len,
				    "invalid --go-heap-sampling '%s': give the mean bytes between "
				    "samples, 1 to 1073741824 (the runtime's default is 524288)",
				    arg);
		o->go_heap_sampling = n;
		return OPTS_RUN;
	case OPT_GO_MIN_GROWTH:
		d = strtod(arg, &end);
		if (end == arg || *end || !(d > 0) || d > 1e9)
			return fail(err, err_len,
				    "invalid --go-min-growth '%s': give goroutines per second, "
				    "e.g. 0.5",
				    arg);
		o->go_min_growth = d;
		return OPTS_RUN;
	default:
		return parse_fleet_option(opt, arg, o, err, err_len);
	}
}

/*
 * --metrics: "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT". The host is a
 * numeric address (no name lookups in a root daemon's option parsing).
 */
static int parse_metrics_addr(const char *arg, struct opts *o)
{
	const char *colon = strrchr(arg, ':'), *host = arg, *port = arg;
	size_t host_len = 0;
	unsigned long long n;
	struct in6_addr v6;
	struct in_addr v4;

	if (colon) {
		port = colon + 1;
		host_len = (size_t)(colon - arg);
		if (host_len >= 2 && arg[0] == '[' && arg[host_len - 1] == ']') {
			host++;
			host_len -= 2;
			if (!host_len)
				return -EINVAL; /* "[]:PORT" */
		} else if (memchr(arg, ':', host_len)) {
			return -EINVAL; /* an IPv6 address needs brackets */
		}
	}
	if (parse_uint(port, 1, 65535, &n) || host_len >= sizeof(o->metrics_host))
		return -EINVAL;
	if (host_len)
		memcpy(o->metrics_host, host, host_len);
	else
		strcpy(o->metrics_host, "127.0.0.1");
	o->metrics_host[host_len ? host_len : strlen(o->metrics_host)] = '\0';
	if (inet_pton(AF_INET, o->metrics_host, &v4) != 1 &&
	    inet_pton(AF_INET6, o->metrics_host, &v6) != 1)
		return -EINVAL;
	o->metrics_port = (int)n;
	o->metrics_addr = arg;
	return 0;
}

/* The options of a node daemon. */
static int parse_fleet_option(int opt, const char *arg, struct opts *o, char *err, size_t err_len)
{
	unsigned long long n;

	switch (opt) {
	case OPT_METRICS:
		if (parse_metrics_addr(arg, o))
			return fail(
			    err, err_len,
			    "invalid --metrics '%s': give [ADDR:]PORT with a numeric "
			    "address, e.g. 9464, 127.0.0.1:9464, 0.0.0.0:9464 or [::1]:9464",
			    arg);
		return OPTS_RUN;
	case OPT_METRICS_TOP:
		if (parse_uint(arg, 1, 1000, &n))
			return fail(err, err_len,
				    "invalid --metrics-top '%s': give a number of stacks from 1 "
				    "to 1000",
				    arg);
		o->metrics_top = (unsigned int)n;
		return OPTS_RUN;
	case OPT_MAX_EXITED_STACKS:
		if (parse_uint(arg, 1, 1000000, &n))
			return fail(err, err_len,
				    "invalid --max-exited-stacks '%s': give a number of stacks "
				    "from 1 to 1000000",
				    arg);
		o->exited_max_stacks = (unsigned int)n;
		return OPTS_RUN;
	default:
		return fail(err, err_len, "unknown option: see 'memleakd --help'");
	}
}

/* Options whose presence, not only their value, a cross-check needs. */
struct given {
	bool fail_on_leaks;
	bool error_exitcode;
	bool scan_max_bytes;
};

static void note_given(struct given *given, int opt)
{
	if (opt == OPT_FAIL_ON_LEAKS)
		given->fail_on_leaks = true;
	else if (opt == OPT_ERROR_EXITCODE)
		given->error_exitcode = true;
	else if (opt == OPT_SCAN_MAX_BYTES)
		given->scan_max_bytes = true;
}

/* The leak gate judges a command at its exit; a scan bound needs a scan. */
static int check_gate(const struct opts *o, const struct given *given, char *err, size_t err_len)
{
	const char *gate = given->fail_on_leaks ? "--fail-on-leaks" : "--error-exitcode";

	if (o->fail_on_leaks && !o->command)
		return fail(err, err_len,
			    "%s needs a command ('memleakd %s -- COMMAND'): the leak gate judges "
			    "what the command leaves at exit",
			    gate, gate);
	if (given->scan_max_bytes && o->no_exit_scan && o->scan_s == 0)
		return fail(err, err_len,
			    "--scan-max-bytes bounds scans, but --no-exit-scan without --scan "
			    "leaves none: drop one, or add --scan SECONDS");
	return OPTS_RUN;
}

/* Checks that need every option parsed. */
static int check_combination(const struct opts *o, const struct given *given, char *err,
			     size_t err_len)
{
	int ret;

	if (o->command && o->nr_pids)
		return fail(err, err_len,
			    "-p and a command cannot be combined: trace either running processes "
			    "or a command");
	ret = check_gate(o, given, err, err_len);
	if (ret)
		return ret;
	if (o->user && !o->command)
		return fail(err, err_len,
			    "--user sets who runs the command: give one ('memleakd --user NAME -- "
			    "COMMAND')");
	if (o->follow && !o->command && !o->nr_pids)
		return fail(err, err_len,
			    "-f follows the children of -p PID or of a command: give one "
			    "(system-wide mode already sees every process)");
	if (o->min_size > o->max_size)
		return fail(err, err_len,
			    "--min-size is larger than --max-size: no allocation would be traced");
	if (o->duration_s > 0 && o->duration_s < o->interval_s)
		return fail(
		    err, err_len,
		    "duration %.1fs is shorter than the interval %.1fs: lower -i or raise -d",
		    o->duration_s, o->interval_s);
	return OPTS_RUN;
}

int opts__parse(int argc, char **argv, struct opts *out, char *err, size_t err_len)
{
	struct given given = {false, false, false};
	int opt, ret;

	*out = opts_defaults;
	err[0] = '\0';
	optind = 0; /* full re-initialisation, so tests can parse repeatedly */
	opterr = 0; /* we print our own message */
	while ((opt = getopt_long(argc, argv, "+p:i:d:n:fvh", long_options, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage_text, stdout);
			return OPTS_EXIT;
		}
		if (opt == OPT_VERSION) {
			printf("memleakd %s\n", MEMLEAKD_VERSION);
			return OPTS_EXIT;
		}
		if (opt == '?' || opt == ':') {
			if (strncmp(argv[optind - 1], "--", 2) == 0)
				return fail(err, err_len,
					    "option '%s' is unknown, takes no value or needs one: "
					    "see 'memleakd --help'",
					    argv[optind - 1]);
			if (optopt && optopt < 256)
				return fail(
				    err, err_len, "option '-%c' %s: see 'memleakd --help'", optopt,
				    strchr("pidn", optopt) ? "needs a value" : "is unknown");
			return fail(
			    err, err_len,
			    "option '%s' is unknown or needs a value: see 'memleakd --help'",
			    argv[optind - 1]);
		}
		ret = parse_one(out, opt, optarg, err, err_len);
		if (ret)
			return ret;
		note_given(&given, opt);
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return fail(err, err_len,
				    "unexpected argument '%s': put a command after '--' (see "
				    "'memleakd --help')",
				    argv[optind]);
		out->command = argv + optind;
	}
	out->system_wide = !out->command && !out->nr_pids;
	return check_combination(out, &given, err, err_len);
}
