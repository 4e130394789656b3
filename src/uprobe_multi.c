// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uprobe_multi.h"

#define CMD_PROG_LOAD	    5 /* enum bpf_cmd */
#define CMD_LINK_CREATE	    28
#define PROG_TYPE_KPROBE    2  /* uprobes are kprobe programs */
#define UPROBE_MULTI_RETURN 1u /* BPF_F_UPROBE_MULTI_RETURN */

/* union bpf_attr's link_create, uprobe_multi member (include/uapi/linux/bpf.h, 6.6). */
struct link_create_attr {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t multi_flags;
	uint32_t pid;
	uint32_t pad;
};

/* union bpf_attr's prog_load, up to expected_attach_type. */
struct prog_load_attr {
	uint32_t prog_type;
	uint32_t insn_cnt;
	uint64_t insns;
	uint64_t license;
	uint32_t log_level;
	uint32_t log_size;
	uint64_t log_buf;
	uint32_t kern_version;
	uint32_t prog_flags;
	char prog_name[16];
	uint32_t prog_ifindex;
	uint32_t expected_attach_type;
};

static long sys_bpf(int cmd, void *attr, size_t size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

int uprobe_multi__attach(int prog_fd, const char *path, const uint64_t *offsets,
			 const uint64_t *cookies, size_t nr, enum uprobe_multi_kind kind, int pid)
{
	struct link_create_attr attr;
	long fd;

	if (!nr || nr > UINT32_MAX || pid < 0)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.prog_fd = (uint32_t)prog_fd;
	attr.attach_type =
	    kind == UPROBE_MULTI_SESSION ? UPROBE_SESSION_ATTACH_TYPE : UPROBE_MULTI_ATTACH_TYPE;
	attr.path = (uint64_t)(uintptr_t)path;
	attr.offsets = (uint64_t)(uintptr_t)offsets;
	attr.cookies = (uint64_t)(uintptr_t)cookies;
	attr.cnt = (uint32_t)nr;
	attr.multi_flags = kind == UPROBE_MULTI_RETURN ? UPROBE_MULTI_RETURN : 0;
	attr.pid = (uint32_t)pid;
	fd = sys_bpf(CMD_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}

/* "r0 = 0; exit": a program that does nothing, loaded for attach_type. */
static int load_empty_prog(uint32_t attach_type)
{
	static const uint64_t insns[2] = {0x00000000000000b7ULL, 0x0000000000000095ULL};
	static const char license[] = "GPL";
	struct prog_load_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = PROG_TYPE_KPROBE;
	attr.insn_cnt = 2;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.license = (uint64_t)(uintptr_t)license;
	attr.expected_attach_type = attach_type;
	return (int)sys_bpf(CMD_PROG_LOAD, &attr, sizeof(attr));
}

/* Whether a link of kind can be made: a kernel that knows it refuses "/" (EBADF). */
static int kind_supported(enum uprobe_multi_kind kind, uint32_t attach_type)
{
	static const uint64_t offset = 0;
	int prog = load_empty_prog(attach_type), link;

	if (prog < 0)
		return 0;
	link = uprobe_multi__attach(prog, "/", &offset, NULL, 1, kind, 0);
	if (link >= 0)
		close(link);
	close(prog);
	return link == -EBADF;
}

int uprobe_multi__supported(void)
{
	return kind_supported(UPROBE_MULTI_ENTRY, UPROBE_MULTI_ATTACH_TYPE);
}

int uprobe_multi__session_supported(void)
{
	return kind_supported(UPROBE_MULTI_SESSION, UPROBE_SESSION_ATTACH_TYPE);
}
