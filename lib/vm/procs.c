// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * procs.c - the processes of a running VM, found from the host: every
 * process whose pid namespace is init's. Its pid inside the VM is the
 * last field of NSpid in /proc/PID/status (parsed in procfs.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "launch/launch.h"
#include "store/store.h"
#include "vm/vm.h"

/* As the VM wrote it, control bytes included: whoever prints it escapes it (cli/escape.c). */
static void read_cmdline(const char *pid, char *buf, size_t len)
{
	char p[300];
	_cleanup_free_ char *data = NULL;
	size_t n = 0;

	buf[0] = '\0';
	snprintf(p, sizeof(p), "/proc/%s/cmdline", pid);
	if (read_small_fileat(AT_FDCWD, p, &data, &n) < 0 || n == 0) {
		free(TAKE_PTR(data));   /* an empty command line (a zombie's) was read too */
		snprintf(p, sizeof(p), "/proc/%s/comm", pid);
		if (read_small_fileat(AT_FDCWD, p, &data, &n) == 0) {
			data[strcspn(data, "\n")] = '\0';
			snprintf(buf, len, "[%s]", data);
		}
		return;
	}
	proc_cmdline_text(data, n, buf, len);
}

static int cmp_proc(const void *a, const void *b)
{
	return ((const struct fvm_proc *)a)->vm_pid - ((const struct fvm_proc *)b)->vm_pid;
}

/**
 * fvm_vm_processes() - every process of @vm, ordered by pid in the VM
 *
 * Return: 0 (an empty list for a stopped VM) or -errno.
 */
FVM_PUBLIC int fvm_vm_processes(struct fvm_vm *vm, struct fvm_proc **ret, size_t *ret_n,
		     struct fvm_error *err)
{
	struct vm_state st;
	unsigned long ns = 0;
	struct fvm_proc *v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*ret = NULL;
	*ret_n = 0;
	if (vm_running(vm, &st) < 0)
		return 0;
	/* init is not dumpable: only root may read its ns links; its booter recorded it */
	ns = st.pidns;
	if (!ns && pidns_inode(st.pid, &ns) < 0)
		return 0;
	d = opendir("/proc");
	if (!d)
		return fvm_errf(err, -errno, "cannot read /proc: %s", strerror(errno));
	while ((de = readdir(d))) {
		char p[300];
		_cleanup_free_ char *status = NULL;
		struct stat sst;
		struct fvm_proc *nv;
		unsigned long mine = 0;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (atoi(de->d_name) != st.pid &&
		    (pidns_inode(atoi(de->d_name), &mine) < 0 || mine != ns))
			continue;
		snprintf(p, sizeof(p), "/proc/%s/status", de->d_name);
		if (read_small_fileat(AT_FDCWD, p, &status, NULL) < 0 || !strstr(status, "\nNSpid:"))
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv) {
			closedir(d);
			free(v);
			return fvm_errf(err, -ENOMEM, "out of memory");
		}
		v = nv;
		v[n].host_pid = atoi(de->d_name);
		v[n].vm_pid = proc_status_nspid(status);
		snprintf(p, sizeof(p), "/proc/%s", de->d_name);
		v[n].host_uid = stat(p, &sst) == 0 ? sst.st_uid : (uid_t)-1;
		read_cmdline(de->d_name, v[n].comm, sizeof(v[n].comm));
		n++;
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_proc);
	*ret = v;
	*ret_n = n;
	return 0;
}
