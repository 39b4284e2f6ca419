// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * freeze.c - a running VM's processes held still while its live layers
 * are copied (snapshot-running.c), and let go again whatever happens.
 *
 * Theory of operation. fvm stops every process of the VM with SIGSTOP and
 * continues them with SIGCONT. A cgroup freezer would be the kernel's
 * tool for it, but a rootless VM has no cgroup (cgroup.c) and the root
 * mode's v1 cgroups do not include the freezer hierarchy; signals work
 * for both, and a stopped process is stopped outside any system call (a
 * write() in progress completes first), so the layer holds no half
 * operation. The processes of the VM are those whose pid namespace is
 * the VM's, and those about to put a child there (a `fvm run` joining the
 * VM: its pid_for_children is the VM's); the VM's init is fvm's own and
 * writes no file, so it keeps running and answering. A process already
 * stopped (job control, a debugger) is left as it is and not continued.
 * Stopping is repeated until a scan of /proc finds no process of the VM
 * it has not stopped and every one of them is stopped, or waits in the
 * vfork() of a child that is (dash runs commands by vfork: its SIGSTOP
 * stays pending until the child execs, which it cannot while stopped); vm_freeze_again()
 * scans once more after the copy, so a process that came in meanwhile
 * (a join that got past the VM's lock before the freeze) makes the
 * caller copy again.
 *
 * Thawing must happen even if fvm is killed (SIGKILL included) while the
 * VM is stopped: a VM left frozen is a hung VM. So the stopping is done
 * by a helper process fvm forks first. It holds a pidfd of each process
 * it stopped (signals cannot reach a reused pid), ignores the terminal's
 * signals, and when its command pipe from fvm reaches end of file (fvm
 * thaws, or exits, or dies) it continues them all and exits. fvm waits
 * for it on a normal thaw, so the VM runs again before fvm returns.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "launch/launch.h"
#include "store/store.h"
#include "util/util.h"
#include "vm/vm.h"

#define FREEZE_WAIT_MS 30000   /* for stopped processes to show as stopped */

struct stopped {
	pid_t pid;
	unsigned long long start;
	int pidfd;
};

struct freezer {
	unsigned long ns;
	pid_t init;
	struct stopped *v;
	size_t n;
	pid_t stuck;    /* the process that did not stop in time */
	char stuck_state;
};

/* the helper's answer to fvm */
struct answer {
	int r;          /* processes newly stopped, or -errno */
	pid_t stuck;    /* -ETIMEDOUT: which process, and its state letter */
	char state;
};

/* The state letter of @pid in /proc/PID/stat and its start time; 0 if gone. */
static char proc_state(pid_t pid, unsigned long long *ret_start)
{
	char st = 0;

	return proc_stat(pid, &st, NULL, ret_start) < 0 ? 0 : st;
}

static bool is_ours(const struct freezer *f, pid_t pid, unsigned long long start)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].pid == pid && f->v[i].start == start)
			return true;
	return false;
}

static bool in_vm(const struct freezer *f, pid_t pid)
{
	char p[64];
	struct stat st;
	unsigned long ns;

	if (pidns_inode(pid, &ns) == 0 && ns == f->ns)
		return true;
	snprintf(p, sizeof(p), "/proc/%d/ns/pid_for_children", (int)pid);
	return stat(p, &st) == 0 && (unsigned long)st.st_ino == f->ns;
}

/* Stop @pid, remembered by a pidfd. */
static int stop_one(struct freezer *f, pid_t pid, unsigned long long start)
{
	struct stopped *v;
	int fd = pidfd_open_checked(pid, start);

	if (fd < 0)
		return 0;   /* gone meanwhile */
	v = realloc(f->v, (f->n + 1) * sizeof(*v));
	if (!v) {
		close(fd);
		return -ENOMEM;
	}
	f->v = v;
	if (syscall(SYS_pidfd_send_signal, fd, SIGSTOP, NULL, 0) < 0) {
		close(fd);
		return errno == ESRCH ? 0 : -errno;
	}
	v[f->n++] = (struct stopped){ .pid = pid, .start = start, .pidfd = fd };
	return 1;
}

/* One scan of /proc: stop what is the VM's and not stopped yet. Return: how many, or -errno. */
static int stop_scan(struct freezer *f)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int added = 0, r = 0;

	if (!d)
		return -errno;
	while (r >= 0 && (de = readdir(d))) {
		pid_t pid = atoi(de->d_name);
		unsigned long long start;
		char st;

		if (pid <= 0 || pid == f->init || pid == getpid() || !in_vm(f, pid))
			continue;
		st = proc_state(pid, &start);
		if (!st || st == 'Z' || st == 'X' || is_ours(f, pid, start))
			continue;
		if (st == 'T' || st == 't')
			continue;   /* stopped by someone else: theirs to continue */
		r = stop_one(f, pid, start);
		if (r > 0)
			added++;
	}
	closedir(d);
	return r < 0 ? r : added;
}

/*
 * Is @pid waiting in clone() (state D)? That is a vfork(): it waits for its
 * child to exec or exit, which cannot happen while the child is stopped
 * (and if the child gets to run first, a later scan stops it and the
 * parent's pending SIGSTOP takes it as the clone returns). It is held.
 */
static bool in_clone(pid_t pid)
{
	char p[64];
	_cleanup_free_ char *buf = NULL;
	long nr;

	snprintf(p, sizeof(p), "/proc/%d/syscall", (int)pid);
	if (read_small_fileat(AT_FDCWD, p, &buf, NULL) < 0)
		return false;
	nr = strtol(buf, NULL, 10);
	return nr == SYS_clone || nr == SYS_vfork || nr == SYS_clone3;
}

/* Wait until every process we stopped shows as stopped (or is gone, or held in a vfork). */
static int wait_stopped(struct freezer *f)
{
	struct timespec t0, now, nap = { 0, 1000000 };

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < f->n;) {
		unsigned long long start;
		char st = proc_state(f->v[i].pid, &start);

		if (!st || start != f->v[i].start || st == 'T' || st == 't' || st == 'Z' || st == 'X' ||
		    (st == 'D' && in_clone(f->v[i].pid))) {
			i++;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 > FREEZE_WAIT_MS) {
			f->stuck = f->v[i].pid;
			f->stuck_state = st;
			return -ETIMEDOUT;
		}
		nanosleep(&nap, NULL);
	}
	return 0;
}

/* Stop until stable. Return: processes newly stopped, or -errno. */
static int stop_all(struct freezer *f)
{
	int total = 0;

	for (int round = 0; round < 100; round++) {
		int r = stop_scan(f);

		if (r <= 0)
			return r < 0 ? r : total;
		total += r;
		r = wait_stopped(f);
		if (r < 0)
			return r;
	}
	return -EAGAIN;   /* the VM forks faster than it is stopped */
}

_Noreturn static void helper(struct freezer *f, int cmd, int reply)
{
	static const int quiet[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGPIPE };
	char c;

	for (size_t i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++)
		signal(quiet[i], SIG_IGN);
	prctl(PR_SET_NAME, "fvm-freeze");
	do {
		struct answer a = { 0 };

		a.r = stop_all(f);
		a.stuck = f->stuck;
		a.state = f->stuck_state;
		if (write_all(reply, &a, sizeof(a)) < 0)
			break;
	} while (read_all(cmd, &c, 1) == 1);
	/* end of file: fvm thaws, exited or was killed */
	for (size_t i = 0; i < f->n; i++)
		syscall(SYS_pidfd_send_signal, f->v[i].pidfd, SIGCONT, NULL, 0);
	_exit(0);
}

static int answer(struct vm_freeze *z, struct fvm_vm *vm, struct fvm_error *err)
{
	struct answer a;

	if (read_all(z->reply, &a, sizeof(a)) != sizeof(a))
		return fvm_errf(err, -EIO, "VM '%s': the process stopping its processes died", vm->cfg.name);
	if (a.r == -ETIMEDOUT)
		return fvm_errf(err, a.r, "VM '%s': cannot stop its processes to copy its layer: host pid %d did not stop within %d s (state %c); they run on: try again, or stop the VM",
				vm->cfg.name, (int)a.stuck, FREEZE_WAIT_MS / 1000, a.state ? a.state : '?');
	if (a.r < 0)
		return fvm_errf(err, a.r, "VM '%s': cannot stop its processes to copy its layer: %s", vm->cfg.name,
				strerror(-a.r));
	return a.r;
}

/**
 * vm_freeze() - stop every process of the running @vm (caller holds its
 * lock); they run again at vm_thaw(), or when fvm dies. Return: 0 or -errno.
 */
int vm_freeze(struct fvm_vm *vm, struct vm_freeze *z, struct fvm_error *err)
{
	struct freezer f = { 0 };
	struct vm_state st;
	int cmd[2], reply[2], r;

	*z = (struct vm_freeze){ .helper = -1, .cmd = -1, .reply = -1 };
	if (vm_running(vm, &st) < 0)
		return fvm_errf(err, -ESRCH, "VM '%s' stopped meanwhile", vm->cfg.name);
	f.ns = st.pidns;
	f.init = st.pid;
	if (!f.ns && pidns_inode(st.pid, &f.ns) < 0)
		return fvm_errf(err, -ESRCH, "VM '%s': cannot find its pid namespace", vm->cfg.name);
	if (pipe2(cmd, O_CLOEXEC) < 0)
		return fvm_errf(err, -errno, "cannot make a pipe: %s", strerror(errno));
	if (pipe2(reply, O_CLOEXEC) < 0) {
		r = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return fvm_errf(err, r, "cannot make a pipe: %s", strerror(-r));
	}
	z->helper = fork();
	if (z->helper == 0) {
		close(cmd[1]);
		close(reply[0]);
		helper(&f, cmd[0], reply[1]);
	}
	r = z->helper < 0 ? -errno : 0;
	close(cmd[0]);
	close(reply[1]);
	z->cmd = cmd[1];
	z->reply = reply[0];
	if (r < 0) {
		vm_thaw(z);
		return fvm_errf(err, r, "cannot fork: %s", strerror(-r));
	}
	r = answer(z, vm, err);
	return r < 0 ? r : 0;
}

/**
 * vm_freeze_again() - stop what came into @vm since vm_freeze() (or the
 * last call). Return: how many processes (then what was copied meanwhile
 * may be torn: copy again), or -errno.
 */
int vm_freeze_again(struct fvm_vm *vm, struct vm_freeze *z, struct fvm_error *err)
{
	if (write_all(z->cmd, "R", 1) < 0)
		return fvm_errf(err, -EIO, "VM '%s': the process stopping its processes died", vm->cfg.name);
	return answer(z, vm, err);
}

/**
 * vm_thaw() - continue what vm_freeze() stopped, and wait for it. Idempotent.
 */
void vm_thaw(struct vm_freeze *z)
{
	if (z->cmd >= 0)
		close(z->cmd);
	if (z->reply >= 0)
		close(z->reply);
	while (z->helper > 0 && waitpid(z->helper, NULL, 0) < 0 && errno == EINTR)
		;
	*z = (struct vm_freeze){ .helper = -1, .cmd = -1, .reply = -1 };
}
