// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "preflight.h"
#include "privs.h"

#define SYSFS_BTF "/sys/kernel/btf/vmlinux"

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
	return 0;
}
