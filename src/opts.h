/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Command-line options: parsing, defaults, cross-option checks. */
#ifndef MEMLEAKD_OPTS_H
#define MEMLEAKD_OPTS_H

#include <stddef.h>
#include <stdint.h>

#define OPTS_MAX_PIDS	  64
#define OPTS_MAX_COMMS	  16
#define OPTS_MAX_SUPPRESS 32

struct opts {
	int pids[OPTS_MAX_PIDS]; /* -p PID, repeatable */
	int nr_pids;
	char *const *command; /* -- COMMAND [ARGS]: argv tail, NULL-terminated; NULL if none */
	int follow;	      /* -f: children of targets are traced too (fork, exec) */
	const char *user;     /* --user USER: the command runs as USER (name or uid); NULL: as us */
	int system_wide;      /* no -p and no command: every process */
	int fail_on_leaks;    /* --fail-on-leaks[=BYTES|reachable]: the leak gate */
	int fail_gate;	      /* enum fail_gate (outcome.h): GATE_LOST, or GATE_REACHABLE */
	uint64_t fail_bytes;  /* =BYTES: leaked bytes at which the gate fails; 0: one block */
	int error_exitcode;   /* --error-exitcode N: status when leaks are found (10) */
	const char *suppression_files[OPTS_MAX_SUPPRESS]; /* --suppressions FILE (LSan format) */
	int nr_suppression_files;
	double scan_s;	  /* --scan SECONDS: pause live targets for a scan that often; 0 off */
	int no_exit_scan; /* --no-exit-scan: exiting processes are not stopped and scanned */
	uint64_t scan_max_bytes; /* --scan-max-bytes BYTES: target memory one scan reads at most */
	const char *comms[OPTS_MAX_COMMS]; /* --comm NAME: report only these processes */
	int nr_comms;
	uint64_t min_bytes; /* --min-bytes: stacks holding less are not shown */
	const char *suppress[OPTS_MAX_SUPPRESS]; /* --suppress FUNC: stacks through FUNC ignored */
	int nr_suppress;
	int no_default_suppress;  /* --no-default-suppressions */
	int trace_mmap;		  /* --mmap: anonymous mmap/munmap as a second kind */
	double interval_s;	  /* -i SECONDS between reports */
	double duration_s;	  /* -d SECONDS to run; 0 = until Ctrl-C or target exit */
	unsigned int top;	  /* -n TOP stacks per report */
	uint64_t min_size;	  /* --min-size BYTES: ignore smaller allocations */
	uint64_t max_size;	  /* --max-size BYTES: ignore larger allocations */
	const char *folded_path;  /* --folded FILE, points into argv */
	const char *json_path;	  /* --json FILE, or "-" for stdout */
	const char *pprof_path;	  /* --pprof FILE */
	const char *svg_path;	  /* --svg FILE */
	unsigned int window;	  /* --window N: intervals the growth test looks at */
	double min_growth;	  /* --min-growth BYTES: per second, to flag a stack */
	int sort;		  /* --sort bytes|growth: SNAPSHOT_SORT_* values */
	unsigned int stack_slots; /* --stack-slots N: stack map entries */
	int unwind;		  /* --unwind: UNWIND_* */
	size_t unwind_rows;	  /* --unwind-rows N: row array size; 0 = what the targets need */
	int demangle;		  /* 0 with --no-demangle */
	uint64_t sample_bytes;	  /* --sample-bytes N: mean bytes between samples; 0 = all */
	size_t ringbuf_bytes;	  /* --ringbuf BYTES: 0 = sized from the CPUs and trap rate */
	int verbosity;		  /* -v, -vv, -vvv */
	/* Go processes: */
	unsigned int go_census_every; /* --go-census N: a goroutine census every N intervals */
	int go_no_probes;	  /* --go-census-only: no probes on goroutine births and deaths */
	int64_t go_heap_sampling; /* --go-heap-sampling[=RATE]: 0 = never write into a target */
	double go_min_growth;	  /* --go-min-growth N: goroutines per second to flag a site */
	/* Fleet: */
	const char *metrics_addr; /* --metrics [ADDR:]PORT as given; NULL: no endpoint */
	char metrics_host[64]; /* its address: 127.0.0.1 unless ADDR was given ("::1", "0.0.0.0") */
	int metrics_port;      /* 1..65535 */
	unsigned int metrics_top; /* --metrics-top K: stacks by bytes exported (growing ones too) */
	unsigned int exited_max_stacks; /* --max-exited-stacks N: "left at exit" tally's cap */
};

#define UNWIND_AUTO  0 /* dwarf: the tables cover code with and without frame pointers */
#define UNWIND_FP    1
#define UNWIND_DWARF 2

extern const struct opts opts_defaults;

#define OPTS_RUN  0 /* go on and trace */
#define OPTS_EXIT 1 /* --help or --version was printed: exit 0 */

/*
 * Parses argv into *out (starting from opts_defaults). Returns OPTS_RUN,
 * OPTS_EXIT, or -EINVAL with a one-line reason (cause and fix) in err.
 */
int opts__parse(int argc, char **argv, struct opts *out, char *err, size_t err_len);

/* Parses "4096", "4k", "16M", "1G" (powers of 1024) into bytes. 0 or -EINVAL. */
int opts__parse_bytes(const char *text, uint64_t *bytes);

#endif
