// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * process.c - the container's process (init, or one of exec): rlimits,
 * oomScoreAdj, groups and ids, capabilities, umask, no_new_privs,
 * seccomp, the terminal, and the exec of args[0] with env exactly as
 * given.
 *
 * Order matters. Without noNewPrivileges the seccomp filter is loaded
 * while the process still has CAP_SYS_ADMIN (runc's order), so the
 * profile must allow what follows (setgroups, setresuid, capset, execve:
 * every engine's default profile does); with it the filter comes last.
 * The bounding set is dropped before the uid changes (that needs
 * CAP_SETPCAP), the other sets are set after it (PR_SET_KEEPCAPS keeps
 * the permitted set over setresuid).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "oci.h"

static const char *env_path(char *const *env)
{
	for (size_t i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			return env[i] + 5;
	return "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}

/**
 * process_lookup() - args[0] found the way execvp would, with env's PATH
 * @p:   the process
 * @ret: the path, PATH_MAX bytes
 * @e:   the error
 *
 * Return: 0, or -ENOENT / -EACCES naming the program.
 */
int process_lookup(const struct oci_process *p, char *ret, struct oci_err *e)
{
	const char *a = p->args[0];
	if (strchr(a, '/')) {
		snprintf(ret, 4096, "%s", a);
		if (access(ret, X_OK) < 0)
			return oci_fail(e, -errno, "exec %s in the container: %m", a);
		return 0;
	}
	const char *path = env_path(p->env);
	while (*path) {
		const char *c = strchr(path, ':');
		size_t n = c ? (size_t)(c - path) : strlen(path);
		struct stat st;
		snprintf(ret, 4096, "%.*s/%s", (int)n, n ? path : ".", a);
		if (stat(ret, &st) == 0 && S_ISREG(st.st_mode) && access(ret, X_OK) == 0)
			return 0;
		path += n + (c ? 1 : 0);
	}
	return oci_fail(e, -ENOENT, "exec %s in the container: not found in $PATH (%s)", a,
			env_path(p->env));
}

/**
 * env_home() - add HOME from the container's /etc/passwd when env has none
 * @p: the process, whose env grows by one entry
 *
 * As runc. Runs in the container after the barrier (no host fd left),
 * reads at most 1 MiB of the container's /etc/passwd, its own file: the
 * home of the first line whose uid is the process's, else "/".
 */
void env_home(struct oci_process *p)
{
	size_t n = 0;
	for (; p->env && p->env[n]; n++)
		if (!strncmp(p->env[n], "HOME=", 5))
			return;
	char home[4096] = "/";
	FILE *f = fopen("/etc/passwd", "re");
	char line[4096];
	for (int i = 0; f && i < 65536 && fgets(line, sizeof(line), f); i++) {
		char *fld[7] = { 0 }, *save = NULL, *t = line;
		int k = 0;
		line[strcspn(line, "\n")] = 0;
		for (; k < 7 && (fld[k] = strsep(&t, ":")) != NULL; k++)
			;
		(void)save;
		if (k == 7 && fld[2][0] && strtoul(fld[2], NULL, 10) == p->uid && fld[5][0] == '/') {
			snprintf(home, sizeof(home), "%s", fld[5]);
			break;
		}
	}
	if (f)
		fclose(f);
	char **env = realloc(p->env, (n + 2) * sizeof(*env));
	if (!env)
		return;
	p->env = env;
	if (asprintf(&env[n], "HOME=%s", home) < 0)
		env[n] = NULL;
	env[n + 1] = NULL;
}

static int set_rlimits(const struct oci_process *p, struct oci_err *e)
{
	for (size_t i = 0; i < p->nrl; i++) {
		struct rlimit rl = { p->rl[i].soft, p->rl[i].hard };
		if (setrlimit(p->rl[i].res, &rl) < 0) {
			struct rlimit cur;
			getrlimit(p->rl[i].res, &cur);
			return oci_fail(e, -errno, "process.rlimits: resource %d soft %llu hard %llu: "
					"%m (the runtime's hard limit is %llu, and raising it needs "
					"CAP_SYS_RESOURCE)", p->rl[i].res,
					(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max,
					(unsigned long long)cur.rlim_max);
		}
	}
	return 0;
}

static int set_oom(const struct oci_process *p, struct oci_err *e)
{
	if (!p->has_oom)
		return 0;
	char v[16];
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	snprintf(v, sizeof(v), "%d", p->oom);
	ssize_t n = fd < 0 ? -1 : write(fd, v, strlen(v));
	int er = errno;
	if (fd >= 0)
		close(fd);
	return n < 0 ? oci_fail(e, -er, "process.oomScoreAdj %d: %s", p->oom, strerror(er)) : 0;
}

static int set_ids(const struct oci_process *p, struct oci_err *e)
{
	if (setgroups(p->ngids, p->gids) < 0 && !(errno == EPERM && p->ngids == 0))
		return oci_fail(e, -errno, "process.user.additionalGids: %m");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return oci_fail(e, -errno, "process.user.gid %u: %m (is it mapped?)", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return oci_fail(e, -errno, "process.user.uid %u: %m (is it mapped?)", p->uid);
	return 0;
}

/**
 * process_exec() - become the container's process @p and exec it
 * @p:       the process
 * @seccomp: linux.seccomp, or NULL
 * @prog:    args[0] resolved by process_lookup()
 * @e:       the error
 *
 * Return: only on failure, -errno.
 */
int process_exec(const struct oci_process *p, json_object *seccomp, const char *prog,
		 struct oci_err *e)
{
	int rc = set_rlimits(p, e);
	if (rc < 0 || (rc = set_oom(p, e)) < 0)
		return rc;
	if (seccomp && !p->nnp && (rc = seccomp_apply(seccomp, false, e)) < 0)
		return rc;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return oci_fail(e, -errno, "PR_SET_KEEPCAPS: %m");
	if ((rc = caps_drop_bounding(p, e)) < 0)
		return rc;
	bool cwd_done = chdir(p->cwd) == 0;
	if (!cwd_done && errno != EACCES)
		return oci_fail(e, -errno, "process.cwd %s: %m", p->cwd);
	if ((rc = set_ids(p, e)) < 0 || (rc = caps_apply(p, e)) < 0)
		return rc;
	if (!cwd_done && chdir(p->cwd) < 0)
		return oci_fail(e, -errno, "process.cwd %s: %m", p->cwd);
	if (p->has_umask)
		umask(p->umask);
	if (p->nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return oci_fail(e, -errno, "process.noNewPrivileges: %m");
	if (seccomp && p->nnp && (rc = seccomp_apply(seccomp, true, e)) < 0)
		return rc;
	syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
	execve(prog, p->args, p->env);
	return oci_fail(e, -errno, "exec %s in the container: %m", prog);
}

/**
 * console_connect() - connect to the engine's --console-socket
 * @path: the socket
 * @e:    the error
 *
 * Return: the connected fd, or -errno.
 */
int console_connect(const char *path, struct oci_err *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_fail(e, -errno, "socket: %m");
	char tmp[64];
	int dfd = -1;
	if (strlen(path) >= sizeof(sa.sun_path)) {   /* long: through its directory's fd */
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		dfd = open(slash ? (dir[0] ? dir : "/") : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		snprintf(tmp, sizeof(tmp), "/proc/self/fd/%d/", dfd);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s%s", tmp,
			 slash ? slash + 1 - dir + path : path);
	} else
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int er = errno;
	if (dfd >= 0)
		close(dfd);
	if (rc < 0) {
		close(fd);
		return oci_fail(e, -er, "--console-socket %s: %s", path, strerror(er));
	}
	return fd;
}

static int send_fd(int sock, int fd, const char *name)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { (void *)name, strlen(name) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/**
 * pty_make() - a pty of the container's devpts: the master to the engine
 * over @sockfd (SCM_RIGHTS), the slave as stdio and controlling terminal
 * @sockfd: connected --console-socket; closed
 * @p:      the process (consoleSize)
 * @e:      the error
 *
 * Return: 0 or -errno.
 */
int pty_make(int sockfd, const struct oci_process *p, struct oci_err *e)
{
	int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0) {
		close(sockfd);
		return oci_fail(e, -errno, "process.terminal: /dev/ptmx in the container: %m "
				"(mount a devpts on /dev/pts)");
	}
	int unlock = 0, rc = 0;
	char name[64] = "";
	unsigned n = 0;
	if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0)
		rc = oci_fail(e, -errno, "process.terminal: unlocking the pty: %m");
	snprintf(name, sizeof(name), "/dev/pts/%u", n);
	int s = rc < 0 ? -1 : ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (rc == 0 && s < 0)
		rc = oci_fail(e, -errno, "process.terminal: opening the pty's peer: %m");
	if (rc == 0 && p->rows) {
		struct winsize ws = { .ws_row = p->rows, .ws_col = p->cols };
		ioctl(s, TIOCSWINSZ, &ws);
	}
	if (rc == 0 && (rc = send_fd(sockfd, m, name)) < 0)
		oci_fail(e, rc, "--console-socket: sending the pty: %s", strerror(-rc));
	close(m);
	close(sockfd);
	if (rc == 0 && (setsid() < 0 || ioctl(s, TIOCSCTTY, 0) < 0))
		rc = oci_fail(e, -errno, "process.terminal: making the pty the controlling "
			      "terminal: %m");
	for (int i = 0; rc == 0 && i < 3; i++)
		if (dup2(s, i) < 0)
			rc = oci_fail(e, -errno, "process.terminal: dup2: %m");
	if (s > 2)
		close(s);
	return rc;
}
