// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * exec.c - `fvm-oci exec`: one more process in a running container.
 *
 * Theory of operation. The runtime forks J, moves it into the
 * container's cgroup, and J joins init's namespaces (the user namespace
 * first, so that it holds the capabilities the others ask for; the mount
 * namespace sets J's root to the container's). J then forks the process
 * with CLONE_PARENT, so that it is the runtime's child (exec without
 * --detach waits for it and exits with its status; with --detach the
 * runtime exits and the engine's subreaper gets it) and, being forked
 * after setns(pid), in the container's pid namespace. It takes
 * process.json's user, capabilities, rlimits, no_new_privs, the
 * container's seccomp profile and, with --tty, a pty of the container's
 * devpts whose master goes to --console-socket.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oci.h"

struct exec {
	const char *id, *process, *console, *pidfile;
	bool detach, tty;
	int preserve_fds;
	struct oci_state st;
	struct oci_process proc;
	json_object *seccomp;   /* of config.json, which @cfg owns */
	json_object *cfg;
	int sock[2];
};

static int join_all(pid_t pid, struct oci_err *e)
{
	static const int order[] = { NS_USER, NS_IPC, NS_UTS, NS_NET, NS_PID, NS_CGROUP, NS_MNT };
	int fds[NS_N];
	for (size_t i = 0; i < NS_N; i++) {
		int k = order[i];
		char p[64], q[64], a[64] = "", b[64] = "";
		fds[k] = -1;
		snprintf(p, sizeof(p), "/proc/%d/ns/%s", (int)pid, ns_proc_name[k]);
		snprintf(q, sizeof(q), "/proc/self/ns/%s", ns_proc_name[k]);
		if (readlink(p, a, sizeof(a) - 1) < 0 || readlink(q, b, sizeof(b) - 1) < 0)
			return oci_fail(e, -errno, "%s: %m", p);
		if (!strcmp(a, b))
			continue;
		fds[k] = open(p, O_RDONLY | O_CLOEXEC);
		if (fds[k] < 0)
			return oci_fail(e, -errno, "%s: %m", p);
	}
	for (size_t i = 0; i < NS_N; i++) {
		int k = order[i];
		if (fds[k] < 0)
			continue;
		if (setns(fds[k], ns_clone_flag[k]) < 0)
			return oci_fail(e, -errno, "joining the container's %s namespace: %m",
					ns_proc_name[k]);
		close(fds[k]);
	}
	return 0;
}

static void __attribute__((noreturn)) fail_to(int sock, const struct oci_err *e)
{
	sync_send(sock, 'E', e->msg, strlen(e->msg));
	_exit(1);
}

static void __attribute__((noreturn)) run_joiner(struct exec *x)
{
	struct oci_err e = { "" };
	int sock = x->sock[1], con = -1;
	if (x->st.has_cgroup && ocg_enter(x->st.cgpath, getpid(), &e) < 0)
		fail_to(sock, &e);
	if (x->tty && (con = console_connect(x->console, &e)) < 0)
		fail_to(sock, &e);
	if (join_all(x->st.pid, &e) < 0)
		fail_to(sock, &e);
	pid_t p = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (p < 0) {
		oci_fail(&e, -errno, "fork in the container: %m");
		fail_to(sock, &e);
	}
	if (p > 0) {
		int v = p;
		sync_send(sock, 'P', &v, sizeof(v));
		_exit(0);
	}
	char prog[PATH_MAX];
	if (process_lookup(&x->proc, prog, &e) < 0 ||
	    (x->tty && pty_make(con, &x->proc, &e) < 0))
		fail_to(sock, &e);
	env_home(&x->proc);
	if (x->preserve_fds > 0)
		for (int fd = 3; fd < 3 + x->preserve_fds; fd++)
			if (fd != sock)
				fcntl(fd, F_SETFD, 0);
	process_exec(&x->proc, x->seccomp, prog, &e);
	fail_to(sock, &e);
}

static int load(struct exec *x, int argc, char **argv, struct oci_err *e)
{
	int dfd, rc = state_read(x->id, &x->st, &dfd, e);
	if (rc < 0)
		return rc;
	enum oci_status s = state_status(dfd, &x->st);
	close(dfd);
	if (s != ST_RUNNING && s != ST_CREATED)
		return oci_fail(e, -ESRCH, "cannot exec in container %s: it is %s", x->id,
				status_name(s));
	char p[4200];
	snprintf(p, sizeof(p), "%s/config.json", x->st.bundle);
	x->cfg = json_object_from_file(p);
	json_object *l = NULL, *pr = NULL;
	if (!x->cfg)
		return oci_fail(e, -ENOENT, "container %s: %s is gone", x->id, p);
	if (json_object_object_get_ex(x->cfg, "linux", &l))
		json_object_object_get_ex(l, "seccomp", &x->seccomp);
	if (json_object_is_type(x->seccomp, json_type_null))
		x->seccomp = NULL;
	if (x->process) {
		json_object *j = json_object_from_file(x->process);
		if (!j)
			return oci_fail(e, -EINVAL, "--process %s: cannot read it as JSON", x->process);
		rc = process_parse(j, &x->proc, "exec --process", e);
		json_object_put(j);
		return rc;
	}
	/* exec ID CMD...: config.json's process with these args */
	if (optind >= argc)
		return oci_fail(e, -EINVAL, "exec: give --process FILE or a command after the id");
	json_object_object_get_ex(x->cfg, "process", &pr);
	json_object *cp = NULL;
	json_object_deep_copy(pr, &cp, NULL);
	json_object *args = json_object_new_array();
	for (int i = optind; i < argc; i++)
		json_object_array_add(args, json_object_new_string(argv[i]));
	json_object_object_add(cp, "args", args);
	json_object_object_add(cp, "terminal", json_object_new_boolean(x->tty));
	rc = process_parse(cp, &x->proc, "process", e);
	json_object_put(cp);
	return rc;
}

static int parse(struct exec *x, int argc, char **argv, struct oci_err *e)
{
	static const struct option lo[] = {
		{ "process", required_argument, 0, 'p' }, { "detach", no_argument, 0, 'd' },
		{ "tty", no_argument, 0, 't' }, { "console-socket", required_argument, 0, 'c' },
		{ "pid-file", required_argument, 0, 'P' },
		{ "preserve-fds", required_argument, 0, 'f' }, { 0, 0, 0, 0 } };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "+p:dt", lo, NULL)) != -1) {
		switch (o) {
		case 'p': x->process = optarg; break;
		case 'd': x->detach = true; break;
		case 't': x->tty = true; break;
		case 'c': x->console = optarg; break;
		case 'P': x->pidfile = optarg; break;
		case 'f': x->preserve_fds = atoi(optarg); break;
		default: return oci_fail(e, -EINVAL, "exec: bad option (fvm-oci takes --process, "
					 "--detach, --tty, --console-socket, --pid-file, "
					 "--preserve-fds)");
		}
	}
	if (optind >= argc)
		return oci_fail(e, -EINVAL, "exec takes a container id");
	x->id = argv[optind++];
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct exec x = { .sock = { -1, -1 } };
	struct oci_err e = { "" };
	char tag, buf[OCI_ERR_MAX];
	int rc = parse(&x, argc, argv, &e);
	if (rc < 0 || (rc = load(&x, argc, argv, &e)) < 0)
		goto out;
	if (x.process)
		x.tty = x.proc.terminal;
	if (x.tty && !x.console) {
		rc = oci_fail(&e, -EINVAL, "exec: a terminal needs --console-socket");
		goto out;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x.sock) < 0) {
		rc = oci_fail(&e, -errno, "socketpair: %m");
		goto out;
	}
	pid_t j = fork();
	if (j == 0) {
		close(x.sock[0]);
		run_joiner(&x);
	}
	close(x.sock[1]);
	int n = sync_recv(x.sock[0], &tag, buf, sizeof(buf) - 1);
	waitpid(j, NULL, 0);
	pid_t pid = 0;
	if (n > 0 && tag == 'P')
		memcpy(&pid, buf, sizeof(int));
	else {
		buf[n > 0 ? n : 0] = 0;
		rc = oci_fail(&e, -ECANCELED, "exec in container %s: %s", x.id,
			      tag == 'E' ? buf : "the process died before it ran");
		goto out;
	}
	n = sync_recv(x.sock[0], &tag, buf, sizeof(buf) - 1);   /* EOF: it exec'd */
	if (n > 0 && tag == 'E') {
		buf[n] = 0;
		waitpid(pid, NULL, 0);
		rc = oci_fail(&e, -ECANCELED, "exec in container %s: %s", x.id, buf);
		goto out;
	}
	if (x.pidfile) {
		char tmp[PATH_MAX + 8], v[16];
		snprintf(tmp, sizeof(tmp), "%s.tmp", x.pidfile);
		snprintf(v, sizeof(v), "%d", (int)pid);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, v, strlen(v)) < 0 || close(fd) < 0 ||
		    rename(tmp, x.pidfile) < 0) {
			rc = oci_fail(&e, -errno, "--pid-file %s: %m", x.pidfile);
			goto out;
		}
	}
	if (x.detach) {
		rc = 0;
		goto out;
	}
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	process_free(&x.proc);
	if (x.cfg)
		json_object_put(x.cfg);
	return rc < 0 ? oci_error(&e) : rc;
}
