// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * create.c - `fvm-oci create` (and `run`): everything set up, the
 * container's init stopped at the barrier before the user program.
 *
 * Theory of operation. Three processes, as in runc's nsexec:
 *  - the runtime R (this command) checks config.json whole, makes the
 *    state directory, the exec.fifo and the cgroup, forks S, moves S into
 *    the cgroup and then serves S's requests over a SOCK_SEQPACKET pair:
 *    'U' write the uid/gid maps of S's new user namespace, 'P' the pid of
 *    init, 'H' run the createRuntime and prestart hooks, 'R' ready (or
 *    'E' and a message). It then writes state.json and the pid file (no
 *    trailing newline) and exits; init is left to the engine's subreaper.
 *  - S joins the namespaces given by path (while it still has the host's
 *    privilege), unshares the user namespace (waits for its maps), then
 *    the others and the pid namespace, forks init, sends 'P' and exits:
 *    init is PID 1 of a pid namespace owned by the container's user
 *    namespace, so it may mount /proc. S and init share one socket, so
 *    nothing but a rule orders their messages: init sends nothing before
 *    S has sent 'P' (fork_init()), so R knows init's pid before it reads
 *    anything of init's ('H': the hooks' state names it; 'E': R kills it).
 *  - init sets the hostname, connects the console socket, builds the root
 *    (rootfs.c), lets R run the hooks, runs createContainer hooks,
 *    pivot_roots, finishes the root, finds args[0], makes the pty, says
 *    ready and opens exec.fifo for writing, which blocks until `start`
 *    opens it for reading: that is the barrier. Then startContainer hooks
 *    and process_exec(): the user program is the container's PID 1, and
 *    its exit status is the container's.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "oci.h"

#define SYNC_MAX (256 * 1024)

int sync_send(int fd, char tag, const void *data, size_t len)
{
	char *buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	buf[0] = tag;
	if (len)
		memcpy(buf + 1, data, len);
	ssize_t n = send(fd, buf, len + 1, MSG_NOSIGNAL);
	free(buf);
	return n < 0 ? -errno : 0;
}

/* Return: the payload's length, 0 with tag 0 at EOF, or -errno */
int sync_recv(int fd, char *ret_tag, void *buf, size_t len)
{
	char *m = malloc(len + 1);
	if (!m)
		return -ENOMEM;
	ssize_t n;
	do
		n = recv(fd, m, len + 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		free(m);
		*ret_tag = 0;
		return n < 0 ? -errno : 0;
	}
	*ret_tag = m[0];
	if (buf)
		memcpy(buf, m + 1, (size_t)n - 1);
	free(m);
	return (int)n - 1;
}

struct create {
	struct oci_spec s;
	const char *id, *pidfile, *console;
	int preserve_fds;
	bool no_keyring;
	int dfd, fifo;            /* state dir, exec.fifo (O_PATH) */
	int sock[2];
	struct oci_state st;
};

/* init's failure, told to R; never returns */
static void __attribute__((noreturn)) child_fail(int sock, const struct oci_err *e)
{
	sync_send(sock, 'E', e->msg, strlen(e->msg));
	_exit(1);
}

static void __attribute__((noreturn)) run_init(struct create *c)
{
	struct oci_spec *s = &c->s;
	struct oci_err e = { "" };
	int sock = c->sock[1], con = -1;
	char prog[PATH_MAX], state[SYNC_MAX];
	char tag;
	if (c->console && (con = console_connect(c->console, &e)) < 0)
		child_fail(sock, &e);
	if ((s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) ||
	    (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0))
		oci_fail(&e, -errno, "hostname %s: %m", s->hostname ? s->hostname : "");
	bool vm = s->fvm_argc > 0;   /* org.fvm.vm: the VM's root, not the bundle's */
	if (e.msg[0] || (!vm && rootfs_setup(s, &e) < 0) || (vm && fvmvm_proc(s, &e) < 0))
		child_fail(sock, &e);
	int n = sync_send(sock, 'H', NULL, 0) < 0 ? -1 : sync_recv(sock, &tag, state, sizeof(state) - 1);
	if (n < 0 || tag != 'h')
		_exit(1);
	state[n] = 0;
	if (hooks_run(s->hooks, "createContainer", state, &e) < 0 ||
	    (!vm && (rootfs_pivot(s, &e) < 0 || rootfs_finish(s, &e) < 0 ||
		     process_lookup(&s->proc, prog, &e) < 0)))
		child_fail(sock, &e);
	if (!c->no_keyring)
		syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, NULL);
	if (s->proc.terminal && pty_make(con, &s->proc, &e) < 0)
		child_fail(sock, &e);
	char fifo[64];
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", c->fifo);
	int keep = c->preserve_fds;
	sync_send(sock, 'R', NULL, 0);
	close(sock);
	int w = open(fifo, O_WRONLY | O_CLOEXEC);   /* the barrier: `start` opens it */
	if (w < 0 || write(w, "0", 1) != 1) {
		dprintf(2, "fvm-oci: container %s: exec.fifo: %m\n", c->id);
		_exit(1);
	}
	close(w);
	close(c->fifo);
	if (hooks_run(s->hooks, "startContainer", state, &e) < 0) {
		dprintf(2, "fvm-oci: container %s: %s\n", c->id, e.msg);
		_exit(1);
	}
	if (vm) {
		fvmvm_exec(s, &e);
		dprintf(2, "fvm-oci: container %s: %s\n", c->id, e.msg);
		_exit(127);
	}
	env_home(&s->proc);
	if (keep > 0)   /* --preserve-fds: 3..3+N-1 go to the program */
		for (int fd = 3; fd < 3 + keep; fd++)
			fcntl(fd, F_SETFD, 0);
	process_exec(&s->proc, s->seccomp, prog, &e);
	dprintf(2, "fvm-oci: container %s: %s\n", c->id, e.msg);
	_exit(127);
}

static int join_by_path(const struct oci_spec *s, struct oci_err *e)
{
	for (int k = 0; k < NS_N; k++) {
		if (!s->ns[k].want || !s->ns[k].path)
			continue;
		int fd = open(s->ns[k].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, ns_clone_flag[k]) < 0) {
			int er = errno;
			if (fd >= 0)
				close(fd);
			return oci_fail(e, -er, "linux.namespaces: joining %s namespace %s: %s",
					ns_proc_name[k], s->ns[k].path, strerror(er));
		}
		close(fd);
	}
	return 0;
}

/*
 * S, its namespaces made: fork init and tell R its pid ('P'); never
 * returns. init waits on a pipe for S's byte, written once 'P' is in the
 * socket: without it init could send 'H' first (CI saw it once, under ASan
 * and load), and R ran the prestart hooks with a state of pid 0. If S
 * dies before its byte, init reads EOF and exits, and R sees EOF too.
 */
static void __attribute__((noreturn)) fork_init(struct create *c)
{
	struct oci_err e = { "" };
	int sock = c->sock[1], order[2];
	char b;

	if (pipe2(order, O_CLOEXEC) < 0) {
		oci_fail(&e, -errno, "pipe: %m");
		child_fail(sock, &e);
	}
	pid_t init = fork();
	if (init < 0) {
		oci_fail(&e, -errno, "fork: %m");
		child_fail(sock, &e);
	}
	if (init == 0) {
		close(order[1]);
		if (read(order[0], &b, 1) != 1)
			_exit(1);
		close(order[0]);
		run_init(c);
	}
	close(order[0]);
	int v = init;
	if (sync_send(sock, 'P', &v, sizeof(v)) < 0 || write(order[1], "p", 1) != 1)
		_exit(1);
	_exit(0);
}

/* S: namespaces, then init; never returns */
static void __attribute__((noreturn)) run_stage(struct create *c)
{
	struct oci_spec *s = &c->s;
	struct oci_err e = { "" };
	int sock = c->sock[1];
	char tag;
	if (sync_recv(sock, &tag, NULL, 0) < 0 || tag != 'g')
		_exit(1);
	if (join_by_path(s, &e) < 0)
		child_fail(sock, &e);
	if (s->ns[NS_USER].want) {
		if (unshare(CLONE_NEWUSER) < 0) {
			oci_fail(&e, -errno, "linux.namespaces: a new user namespace: %m");
			child_fail(sock, &e);
		}
		if (sync_send(sock, 'U', NULL, 0) < 0 || sync_recv(sock, &tag, NULL, 0) < 0 ||
		    tag != 'u')
			_exit(1);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			oci_fail(&e, -errno, "linux.uidMappings: uid 0 is not mapped: %m");
			child_fail(sock, &e);
		}
	}
	int flags = 0;
	for (int k = 0; k < NS_N; k++)
		if (s->ns[k].want && !s->ns[k].path && k != NS_USER)
			flags |= ns_clone_flag[k];
	if (unshare(flags) < 0) {
		oci_fail(&e, -errno, "linux.namespaces: unshare: %m");
		child_fail(sock, &e);
	}
	fork_init(c);
}

static int write_map(pid_t pid, const char *what, const struct oci_idmap *m, size_t n,
		     struct oci_err *e)
{
	char path[64], buf[4096], *o = buf;
	for (size_t i = 0; i < n; i++)
		o += snprintf(o, sizeof(buf) - (size_t)(o - buf), "%lu %lu %lu\n", m[i].ct,
			      m[i].host, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s_map", (int)pid, what);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && write(fd, buf, strlen(buf)) == (ssize_t)strlen(buf)) {
		close(fd);
		return 0;
	}
	int er = errno;
	if (fd >= 0)
		close(fd);
	if (er != EPERM)
		return oci_fail(e, -er, "linux.%sMappings: %s: %s", what, path, strerror(er));
	/* not root: the setuid helpers check /etc/subuid and /etc/subgid */
	char *argv[3 + 3 * OCI_MAX_IDMAPS + 1], num[3 * OCI_MAX_IDMAPS + 1][24], prog[16];
	size_t k = 0;
	snprintf(prog, sizeof(prog), "new%smap", what);
	argv[k++] = prog;
	snprintf(num[0], sizeof(num[0]), "%d", (int)pid);
	argv[k++] = num[0];
	for (size_t i = 0; i < n; i++) {
		snprintf(num[1 + 3 * i], 24, "%lu", m[i].ct);
		snprintf(num[2 + 3 * i], 24, "%lu", m[i].host);
		snprintf(num[3 + 3 * i], 24, "%lu", m[i].size);
		argv[k++] = num[1 + 3 * i];
		argv[k++] = num[2 + 3 * i];
		argv[k++] = num[3 + 3 * i];
	}
	argv[k] = NULL;
	pid_t h = fork();
	if (h == 0) {
		execvp(prog, argv);
		_exit(127);
	}
	int st = 0;
	if (h < 0 || waitpid(h, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		return oci_fail(e, -EPERM, "linux.%sMappings: writing %s directly was refused and "
				"%s failed (are the ids in /etc/sub%sid?)", what, path, prog, what);
	return 0;
}

static int maps(struct create *c, pid_t pid, struct oci_err *e)
{
	struct oci_spec *s = &c->s;
	if (!s->nuidmap || !s->ngidmap)
		return oci_fail(e, -EINVAL, "config.json: a new user namespace needs "
				"linux.uidMappings and linux.gidMappings");
	int rc = write_map(pid, "uid", s->uidmap, s->nuidmap, e);
	if (rc < 0)
		return rc;
	if (geteuid() != 0 && s->ngidmap == 1 && s->gidmap[0].size == 1) {
		char p[64];
		snprintf(p, sizeof(p), "/proc/%d/setgroups", (int)pid);
		int fd = open(p, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, "deny", 4) < 0) { /* newgidmap will tell */ }
			close(fd);
		}
	}
	return write_map(pid, "gid", s->gidmap, s->ngidmap, e);
}

static void now_rfc3339(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static int hooks_runtime(struct create *c, struct oci_err *e)
{
	char *js = state_json(&c->st, ST_CREATING, c->s.annotations);
	int rc = js ? 0 : -ENOMEM;
	if (rc == 0 && (rc = hooks_run(c->s.hooks, "createRuntime", js, e)) == 0)
		rc = hooks_run(c->s.hooks, "prestart", js, e);
	if (rc == 0)
		rc = sync_send(c->sock[0], 'h', js, strlen(js) > SYNC_MAX - 2 ? 2 : strlen(js));
	free(js);
	return rc;
}

/* R: serve S and init until init is ready */
static int serve(struct create *c, pid_t stage, struct oci_err *e)
{
	char buf[OCI_ERR_MAX], tag;
	int rc = c->s.cgroup[0] ? ocg_enter(c->s.cgroup, stage, e) : 0;
	if (rc < 0 || (rc = sync_send(c->sock[0], 'g', NULL, 0)) < 0)
		return rc;
	for (;;) {
		int n = sync_recv(c->sock[0], &tag, buf, sizeof(buf) - 1);
		if (n < 0 || tag == 0)
			return oci_fail(e, -ECHILD, "container %s: its init died while being set up",
					c->id);
		buf[n] = 0;
		switch (tag) {
		case 'U':
			if ((rc = maps(c, stage, e)) < 0)
				return rc;
			sync_send(c->sock[0], 'u', NULL, 0);
			break;
		case 'P':
			if (n != sizeof(int))
				return oci_fail(e, -EPROTO, "container %s: bad message from init", c->id);
			memcpy(&c->st.pid, buf, sizeof(int));
			c->st.starttime = proc_starttime(c->st.pid, NULL);
			break;
		case 'H':
			if ((rc = hooks_runtime(c, e)) < 0)
				return rc;
			break;
		case 'R':
			return 0;
		case 'E':
			return oci_fail(e, -ECANCELED, "container %s: %s", c->id, buf);
		default:
			return oci_fail(e, -EPROTO, "container %s: bad message from init", c->id);
		}
	}
}

static int write_pidfile(const char *path, pid_t pid, struct oci_err *e)
{
	char tmp[PATH_MAX + 8], v[16];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(v, sizeof(v), "%d", (int)pid);   /* no newline: containerd refuses one */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v) || close(fd) < 0 ||
	    rename(tmp, path) < 0)
		return oci_fail(e, -errno, "--pid-file %s: %m", path);
	return 0;
}

static int setup(struct create *c, const char *bundle, struct oci_err *e)
{
	int rc = spec_load(bundle, &c->s, e);
	if (rc < 0)
		return rc;
	if (c->s.proc.terminal && !c->console)
		return oci_fail(e, -EINVAL, "process.terminal needs --console-socket");
	if ((rc = fvmvm_prepare(&c->s, e)) < 0)
		return rc;
	if ((c->dfd = state_dir_open(c->id, true, e)) < 0)
		return c->dfd;
	if (mkfifoat(c->dfd, "exec.fifo", 0600) < 0)
		return oci_fail(e, -errno, "%s/%s/exec.fifo: %m", oci_root, c->id);
	c->fifo = openat(c->dfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (c->fifo < 0)
		return oci_fail(e, -errno, "%s/%s/exec.fifo: %m", oci_root, c->id);
	bool made;
	if ((rc = ocg_create(&c->s, c->id, c->s.cgroup, sizeof(c->s.cgroup), &made, e)) < 0)
		return rc;
	struct oci_state *st = &c->st;
	snprintf(st->id, sizeof(st->id), "%s", c->id);
	snprintf(st->bundle, sizeof(st->bundle), "%s", c->s.bundle);
	snprintf(st->rootfs, sizeof(st->rootfs), "%s", c->s.rootfs);
	snprintf(st->cgpath, sizeof(st->cgpath), "%s", c->s.cgroup);
	st->has_cgroup = c->s.cgroup[0] != 0;
	st->userns = c->s.ns[NS_USER].want;
	now_rfc3339(st->created, sizeof(st->created));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sock) < 0)
		return oci_fail(e, -errno, "socketpair: %m");
	return 0;
}

static int start_and_wait(struct create *c, struct oci_err *e);

static int parse_args(int argc, char **argv, struct create *c, const char **bundle,
		      struct oci_err *e)
{
	static const struct option lo[] = {
		{ "bundle", required_argument, 0, 'b' }, { "pid-file", required_argument, 0, 'p' },
		{ "console-socket", required_argument, 0, 'c' },
		{ "preserve-fds", required_argument, 0, 'f' },
		{ "no-new-keyring", no_argument, 0, 'k' }, { "no-pivot", no_argument, 0, 'n' },
		{ "detach", no_argument, 0, 'd' }, { 0, 0, 0, 0 } };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+b:d", lo, NULL)) != -1) {
		switch (o) {
		case 'b': *bundle = optarg; break;
		case 'p': c->pidfile = optarg; break;
		case 'c': c->console = optarg; break;
		case 'f': c->preserve_fds = atoi(optarg); break;
		case 'k': c->no_keyring = true; break;
		case 'n': return oci_fail(e, -EOPNOTSUPP, "--no-pivot is not supported by fvm-oci "
					  "(it always uses pivot_root)");
		case 'd': return oci_fail(e, -EOPNOTSUPP, "run --detach is not supported by "
					  "fvm-oci: use create, then start");
		default: return oci_fail(e, -EINVAL, "%s: bad option (see fvm-oci --help)", argv[0]);
		}
	}
	if (optind != argc - 1)
		return oci_fail(e, -EINVAL, "%s takes one container id", argv[0]);
	c->id = argv[optind];
	return id_check(c->id, e);
}

/**
 * cmd_create() - `create [--bundle DIR] [--pid-file F] [--console-socket S] ID`
 * @argc, @argv: from the subcommand on
 * @run:         `run`: create, start, wait, delete, exit with the program's status
 *
 * Return: the exit status.
 */
int cmd_create(int argc, char **argv, bool run)
{
	struct create c = { .dfd = -1, .fifo = -1, .sock = { -1, -1 } };
	struct oci_err e = { "" };
	const char *bundle = ".";
	int rc = parse_args(argc, argv, &c, &bundle, &e);
	if (rc < 0)
		return oci_error(&e);
	bool made_dir = false;
	if (run)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	if ((rc = setup(&c, bundle, &e)) < 0)
		goto fail;
	made_dir = true;
	pid_t stage = fork();
	if (stage < 0) {
		rc = oci_fail(&e, -errno, "fork: %m");
		goto fail;
	}
	if (stage == 0) {
		close(c.sock[0]);
		run_stage(&c);
	}
	close(c.sock[1]);
	c.sock[1] = -1;
	rc = serve(&c, stage, &e);
	waitpid(stage, NULL, 0);
	if (rc < 0 || (rc = state_write(c.dfd, &c.st, &e)) < 0 ||
	    (c.pidfile && (rc = write_pidfile(c.pidfile, c.st.pid, &e)) < 0))
		goto fail;
	close(c.sock[0]);
	if (run)
		rc = start_and_wait(&c, &e);
	spec_free(&c.s);
	return rc < 0 ? oci_error(&e) : rc;
fail:
	if (c.st.pid > 0)
		kill(c.st.pid, SIGKILL);
	if (c.s.cgroup[0])
		for (int i = 0; i < 100 && ocg_destroy(c.s.cgroup) == -EBUSY; i++)
			usleep(10000);
	if (made_dir || (c.dfd >= 0))
		state_remove(c.id);
	spec_free(&c.s);
	return oci_error(&e);
}

/* run: what start, wait and delete do, for one process that stays */
static int start_and_wait(struct create *c, struct oci_err *e)
{
	char *argv[] = { "start", (char *)c->id, NULL };
	int rc = cmd_start(2, argv);
	if (rc != 0)
		return rc;
	int status = 0;
	pid_t r;
	while ((r = wait(&status)) != c->st.pid)
		if (r < 0 && errno != EINTR)
			break;
	char *dargv[] = { "delete", "--force", (char *)c->id, NULL };
	cmd_delete(3, dargv);
	(void)e;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
