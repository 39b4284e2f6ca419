// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exec.c - running a program inside a VM (fvm run, fvm exec).
 *
 * Theory of operation. Under the VM's lock: is it running (init alive,
 * same start time)? If not, boot it (boot.c). Take a pidfd of init and a
 * connection to its control socket (init counts it: the VM stays up while
 * we run), then drop the lock, so many programs can join one VM at once.
 *
 * fvm then forks an intermediate process that enters the VM's namespaces
 * with one setns on that pidfd (rootless, where init is not dumpable and
 * so not ours to setns through: with the namespace fds init sent with its
 * answer, user namespace first) and clones the program's process there,
 * which becomes the requested user, starts a new session (no path back to the caller's
 * terminal), closes every inherited fd above 2 and execs. fvm stays on the
 * host, forwards signals to it, relays the pty if one was asked for, and
 * returns its exit status (128+N if killed by signal N). A failure before
 * exec comes back through a close-on-exec pipe as (stage, errno).
 *
 * The program must be in the VM's cgroup (cgroup.c) before it runs: the
 * intermediate process moves itself in first (v1), or fvm moves it while
 * it enters the namespaces and it clones the program only on fvm's go
 * byte (v2). When the VM stops
 * because our program was its last, fvm removes the cgroup (under the
 * VM's lock, as long as nobody booted it again meanwhile).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "cgroup.h"
#include "harden.h"
#include "ns.h"
#include "pty.h"
#include "fvm-internal.h"

extern char **environ;

enum stage { ST_PID = 1, ST_CGROUP, ST_SETNS, ST_HARDEN, ST_USER, ST_NOUSER, ST_ROOTLESS_USER, ST_CWD, ST_PTY, ST_STDIO, ST_EXEC };

struct exec_report {
	int stage;
	int err;
};

struct target {
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *shell;
	const char *name;
};

_Noreturn static void child_fail(int pipefd, int stage, int e)
{
	struct exec_report rep = { stage, e };

	if (write(pipefd, &rep, sizeof(rep)) < 0) {
		/* nothing left to tell */
	}
	_exit(stage == ST_EXEC ? (e == ENOENT ? 127 : 126) : 125);
}

static bool parse_id(const char *s, unsigned *ret)
{
	char *end;
	unsigned long v;

	if (!*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v >= UINT_MAX)
		return false;
	*ret = (unsigned)v;
	return true;
}

/* Resolve "USER[:GROUP]" in the VM's own /etc/passwd and /etc/group. */
static int resolve_user(const char *spec, struct target *t)
{
	_cleanup_free_ char *copy = strdup(spec ? spec : "0");
	char *grp = copy ? strchr(copy, ':') : NULL;
	struct passwd *pw;
	unsigned id;

	if (!copy)
		return -ENOMEM;
	if (grp)
		*grp++ = '\0';
	pw = parse_id(copy, &id) ? getpwuid(id) : getpwnam(copy);
	if (pw) {
		t->uid = pw->pw_uid;
		t->gid = pw->pw_gid;
		t->home = strdup(pw->pw_dir);
		t->shell = strdup(pw->pw_shell);
		t->name = strdup(pw->pw_name);
	} else if (parse_id(copy, &id)) {
		t->uid = id;
		t->gid = id;
		t->home = "/";
		t->shell = "/bin/sh";
		t->name = NULL;
	} else {
		return -ESRCH;
	}
	if (grp) {
		struct group *gr = parse_id(grp, &id) ? getgrgid(id) : getgrnam(grp);

		if (gr)
			t->gid = gr->gr_gid;
		else if (parse_id(grp, &id))
			t->gid = id;
		else
			return -ESRCH;
	}
	return 0;
}

static void set_user_env(const struct target *t, bool keep_home)
{
	if (!keep_home && t->home)
		setenv("HOME", t->home, 1);
	if (!keep_home && t->name) {
		setenv("USER", t->name, 1);
		setenv("LOGNAME", t->name, 1);
	}
	if (t->shell && *t->shell)
		setenv("SHELL", t->shell, 1);
}

struct join {
	struct fvm_vm *vm;
	const struct fvm_exec *ex;
	int pidfd;
	int nsfds[VM_NS_MAX];   /* rootless: init's namespaces, from its ack (see init.c) */
	size_t nns;
	int report;      /* write end of the report pipe */
	int ptysock;     /* -1 without a tty */
	int go;          /* -1, or read end of a pipe: a byte once fvm moved us into the VM's cgroup */
	const struct vm_cgroup *cg;
	const char *caller_cwd;
};

/* In the program's process, already in the VM: become the user and exec. */
_Noreturn static void child_main(const struct join *j)
{
	const struct fvm_exec *ex = j->ex;
	struct target t = { 0 };
	bool rootless = j->vm->cfg.rootless;
	char *const *argv = ex->argv;
	char *shell_argv[2];
	char argv0[PATH_MAX];
	int r;

	r = resolve_user(ex->user, &t);
	if (r < 0)
		child_fail(j->report, ST_NOUSER, -r);
	if (rootless && (t.uid != 0 || t.gid != 0))
		child_fail(j->report, ST_ROOTLESS_USER, EINVAL);
	r = harden_caps(&j->vm->cfg);   /* while still root in the VM */
	if (r < 0)
		child_fail(j->report, ST_HARDEN, -r);
	if ((!rootless && setgroups(1, &t.gid) < 0) || setresgid(t.gid, t.gid, t.gid) < 0 ||
	    setresuid(t.uid, t.uid, t.uid) < 0)
		child_fail(j->report, ST_USER, errno);
	prctl(PR_SET_DUMPABLE, 0);
	/* rootless: "root" in the VM is the caller, whose home stays theirs */
	set_user_env(&t, rootless && t.uid == 0);
	for (char *const *e = ex->env; e && *e; e++)
		putenv(*e);
	if (ex->cwd) {
		if (chdir(ex->cwd) < 0)
			child_fail(j->report, ST_CWD, errno);
	} else if (!j->caller_cwd || chdir(j->caller_cwd) < 0) {
		const char *h = getenv("HOME");

		if (!h || chdir(h) < 0)
			(void)!chdir("/");
	}
	if (setsid() < 0)
		child_fail(j->report, ST_STDIO, errno);
	if (j->ptysock >= 0) {
		r = pty_child_setup(j->ptysock);
		if (r < 0)
			child_fail(j->report, ST_PTY, -r);
	} else if (!ex->stdin_open) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);

		if (nul < 0 || dup2(nul, 0) < 0)
			child_fail(j->report, ST_STDIO, errno);
	}
	/* nothing of fvm's (store fds!) and nothing else of the caller's goes in */
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	r = harden_finish(&j->vm->cfg);
	if (r < 0)
		child_fail(j->report, ST_HARDEN, -r);
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
		child_fail(j->report, ST_EXEC, errno);
	}
	execvp(argv[0], argv);
	child_fail(j->report, ST_EXEC, errno);
}

static int report_error(const struct join *j, const struct exec_report *rep, struct fvm_error *err)
{
	const char *name = j->vm->cfg.name;
	const char *prog = j->ex->argv && j->ex->argv[0] ? j->ex->argv[0] : "the login shell";
	int e = rep->err;

	switch (rep->stage) {
	case ST_EXEC:
		fvm_errf(err, -e, "VM '%s': cannot run '%s': %s%s", name, prog, strerror(e),
			 e == ENOENT ? " (not found in the VM's PATH)" : "");
		if (err)
			err->exec_failed = true;
		return -e;
	case ST_NOUSER:
		return fvm_errf(err, -e, "VM '%s': no user or group '%s' in the VM's /etc/passwd or /etc/group",
				name, j->ex->user);
	case ST_ROOTLESS_USER:
		return fvm_errf(err, -e, "VM '%s': a rootless VM has one user, root (which is you on the host): --user '%s' needs fvm run as root",
				name, j->ex->user);
	case ST_CWD:
		return fvm_errf(err, -e, "VM '%s': cannot change to directory '%s' in the VM: %s", name,
				j->ex->cwd, strerror(e));
	case ST_USER:
		return fvm_errf(err, -e, "VM '%s': cannot become user '%s': %s", name,
				j->ex->user ? j->ex->user : "root", strerror(e));
	case ST_SETNS:
		return fvm_errf(err, -e, "VM '%s': cannot enter its namespaces: %s", name, strerror(e));
	case ST_CGROUP:
		return fvm_errf(err, -e, "VM '%s': cannot move a process into its cgroup: %s", name,
				strerror(e));
	case ST_HARDEN:
		return fvm_errf(err, -e, "VM '%s': cannot apply its capability or seccomp limits: %s", name,
				strerror(e));
	case ST_PTY:
		return fvm_errf(err, -e, "VM '%s': cannot allocate a terminal inside it: %s", name,
				strerror(e));
	default:
		return fvm_errf(err, -e, "VM '%s': cannot set up the program's stdio: %s", name,
				strerror(e));
	}
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 125;
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}

/* Forward signals to @child until it exits. */
static void forward_until_exit(int sfd, int child_pidfd, pid_t child)
{
	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = child_pidfd, .events = POLLIN } };
		struct signalfd_siginfo si;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			return;
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH)
				kill(child, (int)si.ssi_signo);
		if (p[1].revents & POLLIN)
			return;
	}
}

/*
 * The intermediate process: enter every namespace of the VM at once (a
 * rootless caller cannot enter the pid namespace from the host's user
 * namespace, so this cannot be done by fvm itself), then clone the
 * program's process as a sibling (CLONE_PARENT): it is born in the VM's
 * pid namespace as a child of fvm, which can wait for it. Its host pid
 * goes back through the report pipe.
 */
_Noreturn static void enter_main(const struct join *j)
{
	struct exec_report rep = { ST_PID, 0 };
	char go;
	pid_t g;
	int r;

	prctl(PR_SET_DUMPABLE, 0);   /* the VM must not reach our fds before exec */
	r = cgroup_enter_self(j->cg);   /* v1: the fast way, see cgroup.c */
	if (r < 0 && cgroup_needed(j->vm))
		child_fail(j->report, ST_CGROUP, -r);
	/* rootless, init is not dumpable and our uid may not setns through its pidfd */
	if (j->vm->cfg.rootless) {
		r = ns_enter_fds(j->nsfds, j->nns, j->vm->cfg.net);
		if (r < 0)
			child_fail(j->report, ST_SETNS, -r);
	} else if (setns(j->pidfd, VM_NS_FLAGS(j->vm->cfg.net) | CLONE_NEWPID) < 0) {
		child_fail(j->report, ST_SETNS, errno);
	}
	for (size_t i = 0; i < j->nns; i++)
		close(j->nsfds[i]);
	/* the program inherits our cgroup: wait until fvm has moved us into the VM's */
	if (j->go >= 0 && read(j->go, &go, 1) != 1)
		_exit(125);   /* fvm failed, and says why */
	g = sys_clone(CLONE_PARENT);
	if (g < 0)
		child_fail(j->report, ST_SETNS, errno);
	if (g == 0)
		child_main(j);
	rep.err = (int)g;
	if (write(j->report, &rep, sizeof(rep)) < 0)
		_exit(1);
	_exit(0);
}

static int run_joined(struct join *j, int *ret_status, struct fvm_error *err)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				   SIGCHLD, SIGCONT };
	_cleanup_close_ int sfd = -1, cpidfd = -1, master = -1, go_r = -1, go_w = -1;
	_cleanup_(cgroup_release) struct vm_cgroup cg = VM_CGROUP_INIT;
	int rep_pipe[2], ps[2] = { -1, -1 }, cgr = 0;
	char cwd[PATH_MAX];
	struct exec_report rep;
	sigset_t mask, old;
	pid_t pid, mid;
	ssize_t n;

	j->caller_cwd = getcwd(cwd, sizeof(cwd));
	cgr = cgroup_join(j->vm, &cg, err);
	if (cgr < 0)
		return cgr;
	j->cg = &cg;
	if (cg.ops && cgroup_prepare_self(&cg) < 0) {   /* v2: fvm moves M, M waits */
		int gp[2];

		if (pipe2(gp, O_CLOEXEC) < 0)
			return fvm_errf(err, -errno, "cannot prepare to join VM '%s': %s",
					j->vm->cfg.name, strerror(errno));
		go_r = gp[0];
		go_w = gp[1];
	}
	if (pipe2(rep_pipe, O_CLOEXEC) < 0)
		return fvm_errf(err, -errno, "cannot prepare to join VM '%s': %s", j->vm->cfg.name,
				strerror(errno));
	if (j->ex->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ps) < 0) {
		close(rep_pipe[0]);
		close(rep_pipe[1]);
		return fvm_errf(err, -errno, "cannot create a socket pair: %s", strerror(errno));
	}
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&mask, fwd[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	mid = fork();
	if (mid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(rep_pipe[0]);
		if (ps[0] >= 0)
			close(ps[0]);
		j->report = rep_pipe[1];
		j->ptysock = ps[1];
		j->go = go_r;
		if (go_w >= 0)
			close(go_w);
		enter_main(j);
	}
	close(rep_pipe[1]);
	if (ps[1] >= 0)
		close(ps[1]);
	if (mid > 0 && go_w >= 0) {
		cgr = cgroup_enter(j->vm, &cg, mid, err);
		if (cgr == 0 && write(go_w, "g", 1) != 1)
			cgr = fvm_errf(err, -EIO, "VM '%s': cannot start a process inside it: %s",
				       j->vm->cfg.name, strerror(errno));
		close(TAKE_FD(go_w));   /* on failure, M reads EOF and exits */
	}
	n = mid < 0 ? -1 : read_all(rep_pipe[0], &rep, sizeof(rep));
	if (mid > 0)
		waitpid(mid, NULL, 0);
	if (n != sizeof(rep) || rep.stage != ST_PID) {
		int e = mid < 0 ? errno : EIO;

		close(rep_pipe[0]);
		if (ps[0] >= 0)
			close(ps[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (n == sizeof(rep))
			return report_error(j, &rep, err);
		if (cgr < 0)
			return cgr;
		return fvm_errf(err, -e, "VM '%s': cannot start a process inside it: %s",
				j->vm->cfg.name, strerror(e));
	}
	pid = (pid_t)rep.err;
	cpidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ps[0] >= 0) {
		if (fds_recv(ps[0], &master, 1) < 0)
			master = -1;
		close(ps[0]);
	}
	n = read_all(rep_pipe[0], &rep, sizeof(rep));
	close(rep_pipe[0]);
	if (n == sizeof(rep)) {
		wait_status(pid);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return report_error(j, &rep, err);
	}
	if (master >= 0)
		pty_relay(master, cpidfd, pid, sfd);
	else
		forward_until_exit(sfd, cpidfd, pid);
	*ret_status = wait_status(pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}

/* Wait up to @ms for the process behind @pidfd to exit. */
static void wait_exit(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	poll(&p, 1, ms);
}

/**
 * fvm_vm_exec() - run a program in @vm, booting it first unless
 * ex->join_only; *@ret_status gets the program's exit status.
 *
 * Return: 0 when the program ran (whatever its status), else -errno with
 * @err filled; err->exec_failed tells that the program could not be
 * executed (not found, not executable).
 */
int fvm_vm_exec(struct fvm_vm *vm, const struct fvm_exec *ex, int *ret_status,
		struct fvm_error *err)
{
	struct join j = { .vm = vm, .ex = ex, .pidfd = -1, .ptysock = -1 };
	_cleanup_close_ int client = -1;
	unsigned long st_pidns = 0;
	int r = -EAGAIN;

	/* a VM that is stopping at the moment we join is booted again */
	for (int attempt = 0; attempt < 5 && r == -EAGAIN; attempt++) {
		_cleanup_close_ int lock = vm_lock(vm, err);
		struct vm_state st;

		if (lock < 0)
			return lock;
		if (j.pidfd >= 0)
			close(j.pidfd);
		j.pidfd = -1;
		while (j.nns > 0)
			close(j.nsfds[--j.nns]);
		if (client >= 0)
			close(client);
		client = -1;
		r = vm_running(vm, &st);
		if (r < 0 && ex->join_only)
			return fvm_errf(err, -ESRCH,
					"VM '%s' is not running: start it with 'fvm start %s' or use 'fvm run'",
					vm->cfg.name, vm->cfg.name);
		if (r < 0) {
			r = vm_boot(vm, false, &st, &client, err);
			if (r < 0)
				return r;
		} else if (ctl_connect(vm, &client, NULL) < 0) {
			client = -1;   /* init is on its way out: wait below */
		}
		st_pidns = st.pidns;
		j.pidfd = pidfd_open_checked(st.pid, st.starttime);
		if (j.pidfd < 0 || client < 0 || ctl_wait_ack_ns(client, j.nsfds, &j.nns) < 0) {
			if (j.pidfd >= 0)
				wait_exit(j.pidfd, 10000);
			r = -EAGAIN;
		}
	}
	if (r == -EAGAIN)
		return fvm_errf(err, -EAGAIN, "VM '%s' keeps stopping while fvm joins it: try again",
				vm->cfg.name);
	/* rootless: the namespaces we got must be those of the VM its booter recorded */
	if (vm->cfg.rootless && st_pidns && !ns_fds_match(j.nsfds, j.nns, st_pidns)) {
		while (j.nns > 0)
			close(j.nsfds[--j.nns]);
		close(j.pidfd);
		return fvm_errf(err, -EBADMSG, "VM '%s': its init handed out namespaces that are not the VM's: stop it with 'fvm stop %s'",
				vm->cfg.name, vm->cfg.name);
	}
	r = run_joined(&j, ret_status, err);
	while (j.nns > 0)
		close(j.nsfds[--j.nns]);
	ctl_leave(client, j.pidfd);
	if (!vm->cfg.rootless && poll(&(struct pollfd){ .fd = j.pidfd, .events = POLLIN }, 1, 0) == 1) {
		_cleanup_close_ int lock = vm_lock(vm, NULL);

		if (lock >= 0 && vm_running(vm, NULL) < 0)
			cgroup_remove(vm);
	}
	close(j.pidfd);
	return r;
}
