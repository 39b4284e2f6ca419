// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exec-child.c - the program's process, from the VM's namespaces to
 * execve (exec.c's theory): every fd but stdio and its two channels to fvm
 * closed before any path of the VM is looked up, the user resolved from
 * the VM's own /etc/passwd and /etc/group (passwd.c, no NSS) and become,
 * the working directory entered beneath the VM's root, stdio taken (the
 * VM's pty, /dev/null or the relay's pipes), hardening finished, exec. A
 * failure before exec goes back to fvm as (stage, errno).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "policy/policy.h"
#include "launch/exec.h"
#include "util/util.h"

_Noreturn void exec_child_fail(int pipefd, int stage, int e)
{
	struct exec_report rep = { stage, e };

	if (write(pipefd, &rep, sizeof(rep)) < 0) {
		/* nothing left to tell */
	}
	_exit(stage == ST_EXEC ? (e == ENOENT ? 127 : 126) : 125);
}

/* Resolve "USER[:GROUP]" in the VM's own /etc/passwd and /etc/group (no NSS). */
static void load_user(const struct join *j, int rootfd, struct vm_user *u)
{
	_cleanup_free_ char *pw = NULL, *gr = NULL;
	size_t pwn = 0, grn = 0;
	int r;

	r = passwd_read_file(rootfd, "etc/passwd", &pw, &pwn);
	if (r < 0 && r != -ENOENT)
		exec_child_fail(j->report, ST_PASSWD, -r);
	r = passwd_read_file(rootfd, "etc/group", &gr, &grn);
	if (r < 0 && r != -ENOENT)
		exec_child_fail(j->report, ST_GROUP, -r);
	r = passwd_resolve(pw, pwn, gr, grn, j->ex->user, u);
	if (r < 0)
		exec_child_fail(j->report, ST_NOUSER, -r);
}

static void set_user_env(const struct vm_user *u, bool keep_home)
{
	if (!keep_home && u->home)
		setenv("HOME", u->home, 1);
	if (!keep_home && u->name) {
		setenv("USER", u->name, 1);
		setenv("LOGNAME", u->name, 1);
	}
	if (u->shell && *u->shell)
		setenv("SHELL", u->shell, 1);
}

/* Drop the capabilities the VM does not grant, then become @u. */
static void become_user(const struct join *j, const struct vm_user *u)
{
	bool rootless = j->vm->cfg.rootless;
	int r;

	if (rootless && (u->uid != 0 || u->gid != 0))
		exec_child_fail(j->report, ST_ROOTLESS_USER, EINVAL);
	r = harden_caps(&j->vm->cfg);   /* while still root in the VM */
	if (r < 0)
		exec_child_fail(j->report, ST_HARDEN, -r);
	if ((!rootless && setgroups(u->ngroups, u->groups) < 0) ||
	    setresgid(u->gid, u->gid, u->gid) < 0 || setresuid(u->uid, u->uid, u->uid) < 0)
		exec_child_fail(j->report, ST_USER, errno);
	prctl(PR_SET_DUMPABLE, 0);
	/* rootless: "root" in the VM is the caller, whose home stays theirs */
	set_user_env(u, rootless && u->uid == 0);
	gui_env_apply(j->gui_env, j->vm->cfg.gui);
	for (char *const *e = j->ex->env; e && *e; e++)
		putenv(*e);
}

/* -w, else the caller's directory if the VM has it, else HOME, else "/". */
static void enter_cwd(const struct join *j, int rootfd)
{
	const char *h = getenv("HOME");
	int r;

	if (j->ex->cwd) {
		r = vm_chdir(rootfd, j->ex->cwd);
		if (r < 0)
			exec_child_fail(j->report, ST_CWD, -r);
		return;
	}
	if (j->caller_cwd && vm_chdir(rootfd, j->caller_cwd) == 0)
		return;
	if (h && vm_chdir(rootfd, h) == 0)
		return;
	if (fchdir(rootfd) < 0)
		exec_child_fail(j->report, ST_CWD, errno);
}

/*
 * A session of its own (no way back to the caller's terminal), then the
 * VM's pty or /dev/null as stdio where asked; fvm's own stdio, passed as
 * it is, must not be a directory of the host.
 */
static void setup_stdio(const struct join *j, int rootfd)
{
	int r;

	if (setsid() < 0)
		exec_child_fail(j->report, ST_STDIO, errno);
	if (j->ptysock >= 0) {
		r = pty_child_setup(rootfd, j->ptysock);
		if (r < 0)
			exec_child_fail(j->report, ST_PTY, -r);
	} else if (!j->ex->stdin_open) {
		int nul = vm_open_dev(rootfd, "dev/null", O_RDONLY, 1, 3);

		if (nul < 0)
			exec_child_fail(j->report, ST_DEVNULL, -nul);
		if (dup2(nul, 0) < 0)
			exec_child_fail(j->report, ST_STDIO, errno);
		close(nul);
	}
	for (int fd = 0; fd < 3; fd++) {
		struct stat st;

		if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
			exec_child_fail(j->report, ST_STDIO_DIR, fd);
	}
}

/* In the program's process, already in the VM: become the user and exec. */
_Noreturn void exec_child_main(const struct join *j)
{
	char *const *argv = j->ex->argv;
	struct vm_user u = { 0 };
	char *shell_argv[2];
	char argv0[PATH_MAX];
	int rootfd, r;

	/* the caller's terminals stay out of the VM: the relay's pipes go in */
	r = relay_child(j->relay);
	if (r < 0)
		exec_child_fail(j->report, ST_STDIO, -r);
	/* fds 0-2 that fvm opened itself (it was started without them) go too */
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) > 0)   /* FD_CLOEXEC: never the caller's */
			close(fd);
	/*
	 * Before any path is looked up in the VM, every fd but stdio and our
	 * two channels to fvm goes: a store dir or a host cgroup dir left open
	 * would be a way out of the VM's root through /proc/self/fd.
	 */
	r = close_all_except((int[]){ j->report, j->ptysock }, 2);
	if (r < 0)
		exec_child_fail(j->report, ST_STDIO, -r);
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);   /* the VM's, since setns */
	if (rootfd < 0)
		exec_child_fail(j->report, ST_SETNS, errno);
	load_user(j, rootfd, &u);
	become_user(j, &u);
	/* the program dies with fvm, its parent: an engine that SIGKILLs the
	 * fvm it started must not leave the VM running (set after the uid
	 * change, which clears it; the parent is outside the pid namespace,
	 * so getppid() is 0 while it lives) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != 0)
		_exit(125);
	enter_cwd(j, rootfd);
	if (j->ex->dry_run)
		_exit(0);   /* the user and the directory work: nothing is run */
	setup_stdio(j, rootfd);
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);   /* rootfd and the channels too */
	r = harden_finish(&j->vm->cfg);
	if (r < 0)
		exec_child_fail(j->report, ST_HARDEN, -r);
	if (!argv || !argv[0]) {
		const char *sh = getenv("SHELL");
		const char *base;

		if (!sh || *sh != '/')
			sh = "/bin/sh";
		base = strrchr(sh, '/') + 1;
		snprintf(argv0, sizeof(argv0), "-%s", base);   /* a login shell */
		shell_argv[0] = argv0;
		shell_argv[1] = NULL;
		execv(sh, shell_argv);
		exec_child_fail(j->report, ST_EXEC, errno);
	}
	execvp(argv[0], argv);
	exec_child_fail(j->report, ST_EXEC, errno);
}
