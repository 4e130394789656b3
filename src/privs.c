// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "privs.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static int has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return (data[cap / 32].effective >> (cap % 32)) & 1;
}

int privs__check(char *missing, size_t len)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	static const struct {
		int cap;
		int alt; /* CAP_SYS_ADMIN covers BPF and perf on every kernel */
		const char *name;
	} needed[] = {
	    {CAP_BPF, CAP_SYS_ADMIN, "CAP_BPF"},
	    {CAP_PERFMON, CAP_SYS_ADMIN, "CAP_PERFMON"},
	    {CAP_SYS_PTRACE, CAP_SYS_PTRACE, "CAP_SYS_PTRACE"},
	    {CAP_SYS_ADMIN, CAP_CHECKPOINT_RESTORE, "CAP_SYS_ADMIN"}, /* /proc/PID/map_files */
	};
	size_t i;
	int err = 0;

	memset(data, 0, sizeof(data));
	missing[0] = '\0';
	if (syscall(SYS_capget, &header, data))
		return -errno;
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (has_cap(data, needed[i].cap) || has_cap(data, needed[i].alt))
			continue;
		if (missing[0])
			strncat(missing, " ", len - strlen(missing) - 1);
		strncat(missing, needed[i].name, len - strlen(missing) - 1);
		err = -EPERM;
	}
	return err;
}
