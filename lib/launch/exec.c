// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exec.c - running a program inside a VM (fvm run, fvm exec).
 *
 * Theory of operation. Under the VM's lock: is it running (init alive,
 * same start time)? If not, boot it (boot.c). Take a pidfd of init and a
 * connection to its control socket (init counts it: the VM stays up while
 * we run), then drop the lock, so many programs can join one VM at once.
 *
 * As root, fvm enters the VM's pid namespace for its children only (setns
 * on init's pidfd), forks the program's process there (on v1 stepping
 * into the VM's cgroup for the fork, see fork_in_vm()) and goes back to
 * its own; that process enters the VM's other namespaces with one setns
 * on the pidfd. Rootless, fvm may not join a pid namespace (that needs
 * CAP_SYS_ADMIN in its own user namespace), so it forks an intermediate
 * process, which enters every namespace of the VM with the namespace fds
 * init sent with its answer (init is not dumpable, so not ours to setns
 * through), user namespace first, and clones the program's process; so
 * does root where fvm moves the process into a v2 cgroup by pid.
 * The program's process holds host fds (the store, cgroup dirs) and sits in the
 * VM's mount namespace, where the VM owns every file: so before it looks
 * up any path there it closes every fd but its stdio and its two channels
 * to fvm, and from then on it reaches files only from an fd of the VM's
 * root without magic links (vmpath.c). It resolves the user by parsing the
 * VM's /etc/passwd and /etc/group (passwd.c: NSS would load the VM's
 * modules into fvm), becomes that user, enters the working directory
 * inside the VM's root, starts a new session, takes the VM's pty or
 * /dev/null as stdio where asked and execs. Where fvm's stdio is a
 * terminal and no pty was asked for, the program gets pipes that fvm
 * relays (relay.c): the caller's terminal never enters the VM. The
 * program gets SIGKILL when fvm dies (PR_SET_PDEATHSIG), so a client
 * killed with SIGKILL takes its program, and a VM it booted, along. fvm
 * stays on the host, forwards signals to it, relays the pty or the pipes, and
 * returns its exit status (128+N if killed by signal N). A failure before
 * exec comes back through a close-on-exec pipe as (stage, errno). Leaving
 * a VM that `fvm start` started (its state says so) is hanging up on
 * init; any other VM may stop because we leave, and init says whether.
 *
 * The program must be in the VM's cgroup (cgroup.c) before it runs, and
 * born there, so that --pids counts it: fvm itself steps in for the fork
 * (root, v1), the intermediate process moves itself in first (rootless
 * has no cgroup), or fvm moves that process while it enters the
 * namespaces and it clones the program only on fvm's go byte (v2). When the VM stops
 * because our program was its last, fvm removes the cgroup (under the
 * VM's lock, as long as nobody booted it again, removed or renamed it
 * meanwhile: another VM may have its name, and so its cgroup's). With
 * fvm_exec.detach_stop (the fvm command) it returns as soon as init's
 * exit has begun, when every reader takes the VM as stopped and whatever
 * acts on it waits for the rest (vm_running()); the kernel's teardown of
 * the VM's mounts (each overlay's unmount syncs the store's file system,
 * a millisecond or two, tens under I/O load) then holds up no caller, and
 * the cgroup, which init leaves only at its very end, goes with a
 * detached helper (cgroup_remove_later()).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "policy/policy.h"
#include "launch/exec.h"
#include "util/util.h"
#include "store/store.h"

/* The VM's /etc/passwd or /etc/group is not something fvm reads. */
static int report_id_file(const struct join *j, const struct exec_report *rep,
			  struct fvm_error *err)
{
	const char *file = rep->stage == ST_PASSWD ? "/etc/passwd" : "/etc/group";
	int e = rep->err;

	return fvm_errf(err, -e, "VM '%s': cannot read its %s: %s (fvm parses it itself, as a regular file of at most %u MiB reached without symlinks)",
			j->vm->cfg.name, file,
			e == ELOOP ? "it is a symlink, or under one" : e == EINVAL ? "not a regular file"
			: e == EFBIG ? "too large" : strerror(e), PASSWD_FILE_MAX >> 20);
}

/* No new process fits in the VM: say which limit, and how to lift it. */
static int pids_full(const struct join *j, struct fvm_error *err)
{
	const char *name = j->vm->cfg.name;

	/* not -EAGAIN, which would make fvm_vm_exec() join again */
	return fvm_errf(err, -EDQUOT, "VM '%s' is at its limit of %u processes and threads (--pids %u): no new one can start in it; "
			"end some ('fvm ps %s'), or stop it and raise the limit with 'fvm config %s --pids N'",
			name, j->vm->cfg.limits.pids, j->vm->cfg.limits.pids, name, name);
}

static int report_error(const struct join *j, const struct exec_report *rep, struct fvm_error *err)
{
	const char *name = j->vm->cfg.name;
	const char *prog = j->ex->argv && j->ex->argv[0] ? j->ex->argv[0] : "the login shell";
	const char *user = j->ex->user ? j->ex->user : "root";
	int e = rep->err;

	switch (rep->stage) {
	case ST_EXEC:
		fvm_errf(err, -e, "VM '%s': cannot run '%s': %s%s", name, prog, strerror(e),
			 e == ENOENT ? " (not found in the VM's PATH)" : "");
		if (err)
			err->exec_failed = true;
		return -e;
	case ST_NOUSER:
		if (e == EINVAL)
			return fvm_errf(err, -e, "VM '%s': bad --user '%s': use USER[:GROUP], each a name or a number",
					name, user);
		return fvm_errf(err, -e, "VM '%s': no user or group '%s' in the VM's /etc/passwd or /etc/group%s",
				name, user, e == ESRCH ? "" : ": out of memory");
	case ST_PASSWD:
	case ST_GROUP:
		return report_id_file(j, rep, err);
	case ST_ROOTLESS_USER:
		return fvm_errf(err, -e, "VM '%s': a rootless VM has one user, root (which is you on the host): --user '%s' needs fvm run as root",
				name, j->ex->user);
	case ST_CWD:
		return fvm_errf(err, -e, "VM '%s': cannot change to directory '%s' in the VM: %s", name,
				j->ex->cwd ? j->ex->cwd : "/",
				e == ELOOP ? "a symlink loop, or a /proc magic link such as /proc/self/fd/N (never followed)"
				: e == EXDEV ? "it is outside the VM's root" : strerror(e));
	case ST_DEVNULL:
		return fvm_errf(err, -e, "VM '%s': its /dev/null is not the null device (%s): restart the VM with 'fvm stop %s'",
				name, strerror(e), name);
	case ST_STDIO_DIR:
		return fvm_errf(err, -EISDIR, "VM '%s': fvm's %s is a directory, which would open the host's files to the VM: redirect it",
				name, e == 0 ? "stdin" : e == 1 ? "stdout" : "stderr");
	case ST_USER:
		return fvm_errf(err, -e, "VM '%s': cannot become user '%s': %s", name, user,
				strerror(e));
	case ST_SETNS:
		if (e == EAGAIN && cgroup_pids_full(j->vm))
			return pids_full(j, err);
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

/*
 * The intermediate process: enter every namespace of the VM at once (a
 * rootless caller cannot enter the pid namespace from the host's user
 * namespace, so this cannot be done by fvm itself), then clone the
 * program's process as a sibling (CLONE_PARENT): it is born in the VM's
 * pid namespace as a child of fvm, which can wait for it. Its host pid
 * goes back through the report pipe.
 */
/* Has the VM's init (@pidfd) exited? Then a failure to join is no error:
 * the VM stopped meanwhile (fvm stop), and its cgroup may be gone too. */
static bool init_gone(int pidfd)
{
	return poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, 0) == 1;
}

_Noreturn static void enter_main(const struct join *j)
{
	struct exec_report rep = { ST_PID, 0 };
	char go;
	pid_t g;
	int r;

	prctl(PR_SET_DUMPABLE, 0);   /* the VM must not reach our fds before exec */
	r = cgroup_enter_self(j->cg);   /* v1: the fast way, see cgroup.c */
	if (r < 0 && cgroup_needed(j->vm))
		exec_child_fail(j->report, init_gone(j->pidfd) ? ST_GONE : ST_CGROUP, -r);
	/* rootless, init is not dumpable and our uid may not setns through its pidfd */
	if (j->vm->cfg.rootless)
		r = ns_enter_fds(j->nsfds, j->nns, j->vm->cfg.net);
	else
		r = setns(j->pidfd, VM_NS_FLAGS(j->vm->cfg.net) | CLONE_NEWPID) < 0 ? -errno : 0;
	if (r < 0)
		exec_child_fail(j->report, r == -ESRCH ? ST_GONE : ST_SETNS, -r);
	for (size_t i = 0; i < j->nns; i++)
		close(j->nsfds[i]);
	/* the program inherits our cgroup: wait until fvm has moved us into the VM's */
	if (j->go >= 0 && read(j->go, &go, 1) != 1)
		_exit(125);   /* fvm failed, and says why */
	g = sys_clone(CLONE_PARENT);
	if (g < 0)   /* ENOMEM: the pid namespace lost its init meanwhile */
		exec_child_fail(j->report, errno == ENOMEM ? ST_GONE : ST_SETNS, errno);
	if (g == 0)
		exec_child_main(j);
	rep.err = (int)g;
	if (write(j->report, &rep, sizeof(rep)) < 0)
		_exit(1);
	_exit(0);
}

/*
 * Root, the program's process forked straight into the VM's pid namespace
 * and cgroup (fork_in_vm()): it enters the VM's other namespaces itself
 * and goes on as the program. No intermediate process, no report of its
 * pid.
 */
_Noreturn static void direct_main(const struct join *j)
{
	prctl(PR_SET_DUMPABLE, 0);   /* the VM must not reach our fds before exec */
	if (setns(j->pidfd, VM_NS_FLAGS(j->vm->cfg.net)) < 0)
		exec_child_fail(j->report, errno == ESRCH ? ST_GONE : ST_SETNS, errno);
	exec_child_main(j);
}

/*
 * Root: fork the program's process in the VM's pid namespace and cgroup.
 * fvm joins the pid namespace for its children only (setns on init's
 * pidfd: root holds CAP_SYS_ADMIN over it) and goes back to its own right
 * after the fork; on v1 it steps into the VM's cgroup for the fork (the
 * fast way, cgroup_enter_self()), so the child is born there, counted
 * against --pids like any fork inside the VM, and steps back out. This
 * saves the intermediate process a rootless join needs (enter_main()).
 *
 * Return: as fork(); on failure, errno: EAGAIN at the VM's process limit,
 * ENOMEM when its pid namespace lost its init, or why fvm could not step
 * in or back out (then no child is left).
 */
static pid_t fork_in_vm(const struct join *j, const struct vm_cgroup *cg)
{
	_cleanup_close_ int own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	pid_t pid = -1;
	int e = 0;

	if (own < 0 || setns(j->pidfd, CLONE_NEWPID) < 0)
		return -1;
	if (cgroup_enter_self(cg) < 0 && cgroup_needed(j->vm))
		e = errno;
	else if ((pid = fork()) == 0)
		return 0;
	else if (pid < 0)
		e = errno;
	if ((cgroup_leave_self(cg) < 0 || setns(own, CLONE_NEWPID) < 0) && !e) {
		/* never expected; a child of ours must not hold a VM's slot, nor
		 * a later one of ours be born inside the VM: fail, child gone */
		e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		setns(own, CLONE_NEWPID);
	}
	errno = e;
	return e ? -1 : pid;
}

/*
 * The program's process @pid exists: wait for its exec (or its report of
 * why not), relay its pty or pipes and forward signals, then collect its
 * exit status.
 */
static int attend_program(const struct join *j, pid_t pid, int rep_fd, int ptysock,
			  struct relay *rl, int sfd, int *ret_status, struct fvm_error *err)
{
	_cleanup_close_ int cpidfd = (int)syscall(SYS_pidfd_open, pid, 0), master = -1;
	struct exec_report rep;

	if (ptysock >= 0 && fds_recv(ptysock, &master, 1) < 0)
		master = -1;
	if (read_all(rep_fd, &rep, sizeof(rep)) == sizeof(rep)) {
		wait_status(pid);
		if (rep.stage == ST_GONE)
			return -EAGAIN;   /* nothing ran: the caller joins again */
		return report_error(j, &rep, err);
	}
	if (master >= 0)
		pty_relay(master, cpidfd, pid, sfd);
	else
		relay_run(rl, cpidfd, pid, sfd);
	*ret_status = wait_status(pid);
	return 0;
}

/*
 * The channels between fvm and the processes it forks: the go pipe (v2:
 * fvm moves the intermediate process into the cgroup, then says go), the
 * relay's pipes where there is no pty, the report pipe, and the pty's
 * socket pair. On failure what was opened is in the out-parameters for
 * the caller's cleanup, the report pipe excepted (closed here).
 */
static int open_channels(struct join *j, struct vm_cgroup *cg, struct relay *rl, int *go_r,
			 int *go_w, int rep_pipe[2], int ps[2], struct fvm_error *err)
{
	if (cg->ops && cgroup_prepare_self(cg) < 0) {   /* v2: fvm moves M, M waits */
		int gp[2];

		if (pipe2(gp, O_CLOEXEC) < 0)
			return fvm_errf(err, -errno, "cannot prepare to join VM '%s': %s",
					j->vm->cfg.name, strerror(errno));
		*go_r = gp[0];
		*go_w = gp[1];
	}
	if (!j->ex->tty) {
		int r = relay_setup(rl, j->ex->stdin_open);

		if (r < 0)
			return fvm_errf(err, r, "cannot prepare to join VM '%s': pipes for the terminal: %s",
					j->vm->cfg.name, strerror(-r));
	}
	j->relay = rl;
	/* root, and no go pipe (v1, or no cgroup): fvm forks the program in the VM */
	j->direct = !j->vm->cfg.rootless && *go_r < 0 && cgroup_open_back(cg) == 0;
	if (pipe2(rep_pipe, O_CLOEXEC) < 0)
		return fvm_errf(err, -errno, "cannot prepare to join VM '%s': %s", j->vm->cfg.name,
				strerror(errno));
	if (j->ex->tty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ps) < 0) {
		close(rep_pipe[0]);
		close(rep_pipe[1]);
		return fvm_errf(err, -errno, "cannot create a socket pair: %s", strerror(errno));
	}
	return 0;
}

static int run_joined(struct join *j, int *ret_status, struct fvm_error *err)
{
	static const int fwd[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH,
				   SIGCHLD, SIGCONT };
	_cleanup_close_ int sfd = -1, go_r = -1, go_w = -1;
	_cleanup_(cgroup_release) struct vm_cgroup cg = VM_CGROUP_INIT;
	_cleanup_(relay_release) struct relay rl = RELAY_INIT;
	int rep_pipe[2], ps[2] = { -1, -1 }, cgr = 0, fork_err;
	char cwd[PATH_MAX];
	struct exec_report rep;
	sigset_t mask, old;
	pid_t mid;
	ssize_t n;

	j->caller_cwd = getcwd(cwd, sizeof(cwd));
	cgr = cgroup_join(j->vm, &cg, err);
	if (cgr < 0)
		return init_gone(j->pidfd) ? -EAGAIN : cgr;
	j->cg = &cg;
	cgr = open_channels(j, &cg, &rl, &go_r, &go_w, rep_pipe, ps, err);
	if (cgr < 0)
		return cgr;
	sigemptyset(&mask);
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&mask, fwd[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	mid = j->direct ? fork_in_vm(j, &cg) : fork();
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
		if (j->direct)
			direct_main(j);
		enter_main(j);
	}
	fork_err = errno;
	close(rep_pipe[1]);
	if (ps[1] >= 0)
		close(ps[1]);
	relay_started(&rl);
	if (j->direct) {
		/* the program's own process: nothing in between to wait for */
		rep = (struct exec_report){ ST_PID, (int)mid };
		if (mid < 0)   /* ENOMEM: the VM's pid namespace lost its init */
			rep = (struct exec_report){ fork_err == ENOMEM || init_gone(j->pidfd) ? ST_GONE : ST_SETNS,
						    fork_err };
		n = sizeof(rep);
	} else {
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
	}
	if (n != sizeof(rep) || rep.stage != ST_PID) {
		int e = mid < 0 ? fork_err : EIO;

		close(rep_pipe[0]);
		if (ps[0] >= 0)
			close(ps[0]);
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (n == sizeof(rep) && rep.stage == ST_GONE)
			return -EAGAIN;   /* nothing ran: the caller joins again */
		if (n == sizeof(rep))
			return report_error(j, &rep, err);
		if (cgr < 0)
			return init_gone(j->pidfd) ? -EAGAIN : cgr;
		return fvm_errf(err, -e, "VM '%s': cannot start a process inside it: %s",
				j->vm->cfg.name, strerror(e));
	}
	cgr = attend_program(j, (pid_t)rep.err, rep_pipe[0], ps[0], &rl, sfd, ret_status, err);
	close(rep_pipe[0]);
	if (ps[0] >= 0)
		close(ps[0]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return cgr;
}

/*
 * The VM stopped (init behind it is gone): its cgroup goes, under its lock,
 * unless it was booted again meanwhile, or removed or renamed: the cgroup
 * of its name may then be another VM's, made for a boot whose first
 * process is not in it yet (rm and rename removed this VM's own).
 */
static void cgroup_remove_stopped(struct fvm_vm *vm)
{
	_cleanup_close_ int lock = vm_lock_named(vm, NULL);

	if (lock >= 0 && vm_running(vm, NULL) < 0)
		cgroup_remove(vm);
}

/*
 * The VM is stopping and fvm_exec.detach_stop let the caller go on: its
 * cgroup cannot go before init has left it, at the end of its teardown,
 * so a helper waits for that and removes it (cgroup_remove_stopped()),
 * detached (its parent exits at once: no zombie of ours), with no fd of
 * the caller but those it needs.
 */
static void cgroup_remove_later(struct fvm_vm *vm, int init_pidfd)
{
	pid_t mid = fork();

	if (mid == 0) {
		int keep[] = { init_pidfd, vm->dirfd, vm->store->dirfd, vm->store->vmsfd };
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fork() != 0)
			_exit(0);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 ||
		    close_all_except(keep, ARRAY_SIZE(keep)) < 0)
			_exit(1);
		poll(&(struct pollfd){ .fd = init_pidfd, .events = POLLIN }, 1, 10000);
		cgroup_remove_stopped(vm);
		_exit(0);
	}
	if (mid > 0)
		waitpid(mid, NULL, 0);
	else
		cgroup_remove_stopped(vm);   /* no helper: as without detach_stop */
}

/* Wait up to @ms for the process behind @pidfd to exit. */
static void wait_exit(int pidfd, int ms)
{
	struct pollfd p = { .fd = pidfd, .events = POLLIN };

	poll(&p, 1, ms);
}

static void ns_fds_close(struct join *j)
{
	while (j->nns > 0)
		close(j->nsfds[--j->nns]);
}

/*
 * Join @vm (booting it unless ex->join_only): a pidfd of its init in
 * j->pidfd, rootless its namespace fds in j->nsfds, and a counted
 * connection to it in *@client. A VM that is stopping at the moment we
 * join is waited for and booted again.
 */
static int join_vm(struct fvm_vm *vm, const struct fvm_exec *ex, struct join *j, int *client,
		   struct fvm_error *err)
{
	unsigned long st_pidns = 0;
	int r = -EAGAIN;

	for (int attempt = 0; attempt < 5 && r == -EAGAIN; attempt++) {
		_cleanup_close_ int lock = vm_lock(vm, err);
		struct vm_state st;

		if (lock < 0)
			return lock;
		if (j->pidfd >= 0)
			close(j->pidfd);
		j->pidfd = -1;
		ns_fds_close(j);
		if (*client >= 0)
			close(*client);
		*client = -1;
		r = vm_running(vm, &st);
		if (r < 0 && ex->join_only)
			return fvm_errf(err, -ESRCH,
					"VM '%s' is not running: start it with 'fvm start %s' or use 'fvm run'",
					vm->cfg.name, vm->cfg.name);
		if (r < 0) {
			r = vm_boot(vm, false, &st, client, err);
			if (r < 0)
				return r;
		} else if (ctl_connect(vm, client, NULL) < 0) {
			*client = -1;   /* init is on its way out: wait below */
		}
		st_pidns = st.pidns;
		j->persist = st.persist;
		j->pidfd = pidfd_open_checked(st.pid, st.starttime);
		j->pid = st.pid;
		if (j->pidfd < 0 || *client < 0 || ctl_wait_ack_ns(*client, j->nsfds, &j->nns) < 0) {
			if (j->pidfd >= 0)
				wait_exit(j->pidfd, 10000);
			r = -EAGAIN;
		}
	}
	if (r == -EAGAIN)
		return fvm_errf(err, -EAGAIN, "VM '%s' keeps stopping while fvm joins it: try again",
				vm->cfg.name);
	/* rootless: the namespaces we got must be those of the VM its booter recorded */
	if (vm->cfg.rootless && st_pidns && !ns_fds_match(j->nsfds, j->nns, st_pidns)) {
		ns_fds_close(j);
		return fvm_errf(err, -EBADMSG, "VM '%s': its init handed out namespaces that are not the VM's: stop it with 'fvm stop %s'",
				vm->cfg.name, vm->cfg.name);
	}
	return 0;
}

/**
 * fvm_vm_exec_oom_kills() - processes of @vm that the kernel's OOM killer
 * ended while the last fvm_vm_exec() on this handle ran
 *
 * Return: the count (0 for a VM without a memory limit).
 */
FVM_PUBLIC uint64_t fvm_vm_exec_oom_kills(const struct fvm_vm *vm)
{
	return vm->exec_oom_kills;
}

/**
 * fvm_vm_exec() - run a program in @vm, booting it first unless
 * ex->join_only; *@ret_status gets the program's exit status.
 *
 * Return: 0 when the program ran (whatever its status), else -errno with
 * @err filled; err->exec_failed tells that the program could not be
 * executed (not found, not executable).
 */
FVM_PUBLIC int fvm_vm_exec(struct fvm_vm *vm, const struct fvm_exec *ex, int *ret_status,
		struct fvm_error *err)
{
	struct join j = { .vm = vm, .ex = ex, .pidfd = -1, .ptysock = -1 };
	_cleanup_close_ int client = -1;
	uint64_t oom;
	bool stops;
	int r = -EAGAIN;

	/* init counted us, but fvm stop may still end it before we are in:
	 * then nothing of ours ran, and we join (or boot) again */
	for (int attempt = 0; attempt < 5 && r == -EAGAIN; attempt++) {
		r = join_vm(vm, ex, &j, &client, err);
		if (r < 0) {
			fvm_strv_free(j.gui_env);
			return r;
		}
		fvm_strv_free(j.gui_env);
		j.gui_env = gui_env_read(vm);   /* written at boot, for every program */
		oom = cgroup_oom_kills(vm);   /* a VM just booted counts from 0 */
		r = run_joined(&j, ret_status, err);
		vm->exec_oom_kills = cgroup_oom_kills(vm) - oom;   /* read while we keep the VM up */
		ns_fds_close(&j);
		if (r == -EAGAIN)
			wait_exit(j.pidfd, 10000);
	}
	if (r == -EAGAIN)
		r = fvm_errf(err, -EAGAIN, "VM '%s' keeps stopping while fvm joins it: try again",
			     vm->cfg.name);
	fvm_strv_free(j.gui_env);
	/* a started VM stays up whoever leaves: hanging up says it all, with
	 * no round trip to init (ctl.c) */
	stops = !j.persist && ctl_leave(client, j.pidfd, j.pid, !ex->detach_stop);
	if (!vm->cfg.rootless && stops && ex->detach_stop)
		cgroup_remove_later(vm, j.pidfd);
	else if (!vm->cfg.rootless && poll(&(struct pollfd){ .fd = j.pidfd, .events = POLLIN }, 1, 0) == 1)
		cgroup_remove_stopped(vm);
	close(j.pidfd);
	return r;
}
