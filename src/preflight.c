// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "preflight.h"
#include "privs.h"

#define SYSFS_BTF "/sys/kernel/btf/vmlinux"

/*
 * One fd stays open per distinct ELF file the targets map (elffile.c);
 * system-wide that can pass a soft limit of 1,024. Up to the hard limit.
 */
static void raise_fd_limit(void)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
		lim.rlim_cur = lim.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &lim))
			p_debug("cannot raise the open-file limit: %s", strerror(errno));
	}
}

int preflight__check(enum fault *why)
{
	char missing[128];
	int err;

	err = privs__check(missing, sizeof(missing));
	if (err) {
		p_err("missing privileges (%s): run as root, e.g. 'sudo memleakd -p PID'", missing);
		*why = FAULT_PERMISSION;
		return err;
	}
	if (access(SYSFS_BTF, R_OK)) {
		err = -errno;
		p_err("no kernel BTF at '%s': %s; boot a kernel built with CONFIG_DEBUG_INFO_BTF=y",
		      SYSFS_BTF, strerror(errno));
		*why = FAULT_KERNEL;
		return err;
	}
	raise_fd_limit();
	return 0;
}
