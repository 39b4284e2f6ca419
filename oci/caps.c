// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * caps.c - process.capabilities: names to numbers, the bounding set
 * dropped before the uid changes, the other four sets after.
 *
 * A process object without "capabilities" gets none at all (runc leaves
 * the caller's in place); see fvm-oci(1).
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "oci.h"

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};
#define NCAPS ((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/**
 * cap_from_name() - "CAP_SYS_ADMIN" to 21
 * @name: a capability's name, as the spec spells it
 *
 * Return: its number, or -1 for a name fvm-oci does not know.
 */
int cap_from_name(const char *name)
{
	for (int i = 0; i < NCAPS; i++)
		if (!strcmp(cap_names[i], name))
			return i;
	return -1;
}

/**
 * cap_name() - 21 to "CAP_SYS_ADMIN"
 * @c: a capability number
 *
 * Return: its name, or NULL past the last fvm-oci knows.
 */
const char *cap_name(int c)
{
	return c >= 0 && c < NCAPS ? cap_names[c] : NULL;
}

/* the highest capability this kernel knows */
static int cap_last(void)
{
	int last = NCAPS - 1;
	while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0)
		last--;
	return last;
}

/**
 * caps_drop_bounding() - drop what is not in @p's bounding set
 * @p: the process
 * @e: the error
 *
 * Called while the process still has CAP_SETPCAP, before its uid changes.
 *
 * Return: 0 or -errno.
 */
int caps_drop_bounding(const struct oci_process *p, struct oci_err *e)
{
	int last = cap_last();
	for (int c = 0; c <= last; c++) {
		if (p->caps[CAP_B] & (UINT64_C(1) << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return oci_fail(e, -errno, "dropping %s from the bounding set: %m",
					cap_names[c]);
	}
	return 0;
}

/**
 * caps_apply() - set the effective, permitted, inheritable and ambient sets
 * @p: the process
 * @e: the error
 *
 * Return: 0 or -errno.
 */
int caps_apply(const struct oci_process *p, struct oci_err *e)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	int last = cap_last();
	uint64_t mask = last >= 63 ? UINT64_MAX : (UINT64_C(1) << (last + 1)) - 1;
	uint64_t eff = p->caps[CAP_E] & mask, perm = p->caps[CAP_P] & mask,
		 inh = p->caps[CAP_I] & mask;
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(eff >> (32 * i));
		d[i].permitted = (uint32_t)(perm >> (32 * i));
		d[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &h, d) < 0)
		return oci_fail(e, -errno, "setting the process's capabilities: %m");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return oci_fail(e, -errno, "clearing the ambient capabilities: %m");
	/* the kernel allows an ambient capability only if it is permitted and
	 * inheritable; runc then leaves it out, and so does fvm-oci, saying so */
	for (int c = 0; c <= last; c++)
		if ((p->caps[CAP_A] & (UINT64_C(1) << c)) &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			oci_log("warning", "process.capabilities.ambient: %s left out: it is not "
				"both permitted and inheritable", cap_names[c]);
	return 0;
}
