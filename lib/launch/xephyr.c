// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xephyr.c - --gui x11: the VM's own nested X server, on the host.
 *
 * Theory of operation. Xephyr runs on the host, outside every namespace
 * of the VM (not in its pid namespace: the VM cannot name it, signal or
 * ptrace it), as the VM's root uid as root (uid_base: it owns nothing on
 * the host) or as the user rootless, with fds 0-5 only: /dev/null, its
 * log (run/gui.log), -displayfd, and two memfds read through
 * /proc/self/fd: its own server cookie (-auth, fresh random per boot) and
 * the cookie of the caller's display (XAUTHORITY). It does not listen on
 * TCP; it does on the abstract name of its display in the host's network
 * namespace, which with -displayfd is what keeps it off a display number
 * in use (without it, Xephyr unlinks the path socket of a server of the
 * same uid and takes its place). A client there needs the cookie, which
 * only the VM has; a VM with --net host cannot connect to it (Landlock).
 *
 * Lifetime. Like pasta (net.c), it runs under a small supervisor,
 * "fvm-gui", in a session of its own: fvm starts both before the VM's
 * first process exists (the VM needs the socket to boot), and hands the
 * supervisor a pidfd of the VM's init once the VM is up (gui_attach());
 * when init exits the supervisor stops Xephyr (SIGTERM, which lets it
 * remove its socket and lock file from the host's /tmp; SIGKILL after
 * GUI_STOP_MS); if fvm fails before that, the channel closes and the
 * supervisor stops Xephyr at once; if the supervisor dies, Xephyr gets
 * SIGKILL (parent-death signal). No fd of Xephyr or of the supervisor is
 * in the VM: the VM's first process closes its copies of fvm's fds before
 * any VM code runs. The supervisor's pid is in run/gui.pid, so that
 * fvm stop waits for it (gui_stop()).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/launch.h"
#include "policy/policy.h"
#include "util/util.h"


static int memfd_with(const void *data, size_t len, const struct fvm_vm *vm)
{
	int fd = memfd_create("fvm-xauth", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if ((len && write_all(fd, data, len) < 0) ||
	    (!vm->cfg.rootless && fchown(fd, vm->cfg.uid_base, vm->cfg.uid_base) < 0)) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* In the supervisor's child: become uid @uid (root mode), with a parent-death signal */
static int helper_creds(const struct fvm_vm *vm, pid_t sup, uid_t uid, gid_t gid)
{
	if (!vm->cfg.rootless &&
	    (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 || setresuid(uid, uid, uid) < 0)) {
		dprintf(2, "fvm: cannot become uid %u for the VM's display: %s\n", (unsigned)uid,
			strerror(errno));
		return -1;
	}
	/* after the credential change, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	return getppid() == sup ? 0 : -1;
}

/* Become Xephyr: fds 3 -displayfd, 4 its cookie, 5 the host display's. */
_Noreturn static void xephyr_exec(const struct fvm_vm *vm, const struct helper *h)
{
	char title[FVM_NAME_MAX + 16], dpy[600];
	/* (not -nolisten local: with -displayfd the abstract name is what keeps
	 * the server from taking over a display number in use, unlinking the
	 * path socket of a server of the same uid) */
	char *argv[] = { "Xephyr", "-displayfd", "3", "-auth", "/proc/self/fd/4", "-nolisten", "tcp",
			 "-resizeable", "-screen", "1024x768", "-title", title, NULL };
	char *envp[] = { dpy, "XAUTHORITY=/proc/self/fd/5", "PATH=/usr/local/bin:/usr/bin:/bin", NULL };

	snprintf(title, sizeof(title), "fvm: %s", vm->cfg.name);
	snprintf(dpy, sizeof(dpy), "DISPLAY=%s", h->display);
	execvpe(argv[0], argv, envp);
	dprintf(2, "fvm: cannot run Xephyr: %s%s\n", strerror(errno),
		errno == ENOENT ? " (install the xserver-xephyr package)" : "");
	_exit(127);
}

/*
 * The supervisor, fds 3 the channel to fvm, 4.. the helper's @nfds, 2 the
 * log: start the helper (with 0-2 and the @nfds as 3..), stop it when the
 * VM's init (whose pidfd comes on the channel) exits, or at once if the
 * channel closes without one. Never returns.
 */
_Noreturn static void gui_supervise(const struct fvm_vm *vm, const struct helper *h, int nfds)
{
	pid_t self = getpid(), child;
	struct pollfd p[2];
	int pfd, initfd = -1, keep[8] = { 0, 1, 2 };

	prctl(PR_SET_NAME, "fvm-gui");
	if (chdir("/") < 0 || write_all(3, &self, sizeof(self)) < 0)
		_exit(1);
	child = fork();
	if (child < 0)
		_exit(1);
	if (child == 0) {
		for (int i = 0; i < nfds; i++)
			keep[3 + i] = 4 + i;
		if (helper_creds(vm, self, h->uid, h->gid) < 0 || fds_arrange(keep, 3 + nfds) < 0)
			_exit(1);
		h->exec(vm, h);
		_exit(127);
	}
	syscall(SYS_close_range, 4U, ~0U, 0U);   /* the helper's: not ours to keep */
	pfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pfd < 0) {
		kill(child, SIGKILL);
		_exit(1);
	}
	p[0] = (struct pollfd){ .fd = 3, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = pfd, .events = POLLIN };
	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	if (p[0].revents && fds_recv(3, &initfd, 1) == 0) {
		p[0].fd = initfd;
		while (poll(p, 2, -1) < 0 && errno == EINTR)
			;
	}
	syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0);
	if (poll(&p[1], 1, GUI_STOP_MS) != 1)
		syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
	waitpid(child, NULL, 0);
	_exit(0);
}

/* Read a decimal number and a newline from @fd within @ms (the supervisor's
 * pid comes binary on the channel, the display on -displayfd). */
static int read_display(int fd, unsigned *ret)
{
	char buf[16];
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		ssize_t k;

		if (poll(&p, 1, GUI_READY_MS) <= 0)
			return -ETIMEDOUT;
		k = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (k <= 0)
			return -EPIPE;
		got += (size_t)k;
	}
	buf[got] = '\0';
	return sscanf(buf, "%u", ret) == 1 ? 0 : -EPIPE;
}

/* A helper's last words in @path (run/gui.log: Xephyr's), for the error message */
static void gui_log_tail(struct fvm_vm *vm, const char *path, char *buf, size_t len)
{
	_cleanup_free_ char *log = NULL;
	char *line, *save = NULL;
	size_t n = 0;

	snprintf(buf, len, "it exited without a message");
	if (read_small_fileat(vm->dirfd, path, &log, &n) < 0)
		return;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (*line && strncmp(line, "(EE)", 4) && !strstr(line, "Fatal server error"))
			snprintf(buf, len, "%.200s", line);
}

/**
 * helper_spawn() - a helper @h on the host under a supervisor of its own
 * (in a session of its own), with @fds (@nfds, at most 4) as its 3.. and
 * @log as its stderr; the channel to the supervisor in *@ret_chan, which
 * gui_attach() hands init's pidfd; the supervisor's pid recorded in
 * run/@pidfile.
 *
 * Return: 0, or -errno (nothing left running).
 */
int helper_spawn(struct fvm_vm *vm, const struct helper *h, const int *fds, int nfds, int log,
		 const char *pidfile, int *ret_chan)
{
	int ch[2] = { -1, -1 }, all[8];
	unsigned long long start;
	char rec[64];
	pid_t mid, sup = 0;
	int r = 0;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ch) < 0)
		return -errno;
	mid = fork();
	if (mid < 0) {
		r = -errno;
	} else if (mid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);

		signals_reset();
		setsid();
		all[0] = all[1] = nul;
		all[2] = log;
		all[3] = ch[1];
		for (int i = 0; i < nfds; i++)
			all[4 + i] = fds[i];
		if (nul < 0 || fds_arrange(all, 4 + nfds) < 0)
			_exit(1);
		if (fork() == 0)
			gui_supervise(vm, h, nfds);
		_exit(0);
	} else {
		struct pollfd p = { .fd = ch[0], .events = POLLIN };

		close(ch[1]);
		ch[1] = -1;
		while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
			;
		r = poll(&p, 1, GUI_READY_MS) == 1 && read(ch[0], &sup, sizeof(sup)) == sizeof(sup) ? 0 : -EPIPE;
	}
	if (r == 0 && proc_starttime(sup, &start) == 0) {
		_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int k = snprintf(rec, sizeof(rec), "%d %llu\n", (int)sup, start);

		if (run >= 0)
			write_fileat_atomic(run, pidfile, rec, (size_t)k, 0600, false);
	}
	if (ch[1] >= 0)
		close(ch[1]);
	if (r < 0) {
		close(ch[0]);
		return r;
	}
	*ret_chan = ch[0];
	return 0;
}

/* helper_log() - run/NAME for a helper's stderr */
int helper_log(struct fvm_vm *vm, const char *name)
{
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (run < 0)
		return -errno;
	return openat(run, name, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* --clipboard on: the bridge between the nested server :@m and @display
 * (clipboard.c), up: connected to both, or its reason in the error */
static int start_clip(struct fvm_vm *vm, const char *display, const struct xauth_cookie *host, unsigned m,
		      const struct xauth_cookie *own, struct gui_boot *g, struct fvm_error *err)
{
	struct clip_args a = { .host_display = display, .host = host, .nested = m, .own = own };
	struct helper h = { .exec = clip_exec, .uid = vm->cfg.uid_base, .gid = vm->cfg.uid_base, .clip = &a };
	_cleanup_close_ int log = helper_log(vm, "clip.log");
	int rd[2] = { -1, -1 }, r;
	struct pollfd p;
	char msg[256], c;

	if (log < 0 || pipe2(rd, O_CLOEXEC) < 0) {
		r = log < 0 ? log : -errno;
		gui_release(g);
		return fvm_errf(err, r, "VM '%s': --clipboard on: cannot start the clipboard bridge: %s",
				vm->cfg.name, strerror(-r));
	}
	r = helper_spawn(vm, &h, &rd[1], 1, log, "clip.pid", &g->clip_sup);
	close(rd[1]);
	p = (struct pollfd){ .fd = rd[0], .events = POLLIN };
	if (r == 0)
		r = poll(&p, 1, GUI_READY_MS) != 1 ? -ETIMEDOUT : read(rd[0], &c, 1) == 1 ? 0 : -EPIPE;
	close(rd[0]);
	if (r < 0) {
		gui_release(g);
		gui_log_tail(vm, "run/clip.log", msg, sizeof(msg));
		return fvm_errf(err, r, "VM '%s': --clipboard on: the clipboard bridge did not start: %s (see %s/run/clip.log)",
				vm->cfg.name, r == -ETIMEDOUT ? "no answer in 10 s" : msg, vm->dir);
	}
	return 0;
}

/**
 * start_xephyr() - x11: the nested server on @display (with the caller's
 * cookie @host, or none), up and listening; its socket and cookie in @g,
 * the channel to its supervisor in g->sup (see gui_attach()).
 *
 * Return: 0, or -errno with @err filled and nothing left running.
 */
int start_xephyr(struct fvm_vm *vm, const char *display, const struct xauth_cookie *host,
			struct gui_boot *g, struct fvm_error *err)
{
	struct xauth_cookie own = { .name = "MIT-MAGIC-COOKIE-1", .name_len = 18, .data_len = 16 };
	struct helper h = { .exec = xephyr_exec, .display = display,
			    .uid = vm->cfg.uid_base, .gid = vm->cfg.uid_base };
	unsigned char hostfile[512];
	size_t hostlen = host ? xauth_wild(host, hostfile, sizeof(hostfile)) : 0;
	_cleanup_close_ int srv = -1, hst = -1, log = -1;
	int dfd[2] = { -1, -1 };
	char sock[64], msg[256];
	unsigned m = 0;
	int r;

	if (getrandom(own.data, own.data_len, 0) != (ssize_t)own.data_len)
		return fvm_errf(err, -EIO, "VM '%s': --gui x11: no random bytes for a cookie", vm->cfg.name);
	g->xauth_len = xauth_wild(&own, g->xauth, sizeof(g->xauth));
	srv = memfd_with(g->xauth, g->xauth_len, vm);
	hst = memfd_with(hostfile, hostlen, vm);
	log = helper_log(vm, "gui.log");
	if (srv < 0 || hst < 0 || log < 0 || pipe2(dfd, O_CLOEXEC) < 0) {
		r = fvm_errf(err, -EIO, "VM '%s': --gui x11: cannot set up the nested X server's files in %s/run",
			     vm->cfg.name, vm->dir);
		goto out;
	}
	r = helper_spawn(vm, &h, (int[]){ dfd[1], srv, hst }, 3, log, "gui.pid", &g->sup);
	close(dfd[1]);
	dfd[1] = -1;
	if (r == 0)
		r = read_display(dfd[0], &m);
	if (r < 0) {
		gui_release(g);
		gui_log_tail(vm, "run/gui.log", msg, sizeof(msg));
		r = fvm_errf(err, r, "VM '%s': --gui x11: the nested X server (Xephyr) did not start on display %s: %s (see %s/run/gui.log)",
			     vm->cfg.name, display, r == -ETIMEDOUT ? "no answer in 10 s" : msg, vm->dir);
		goto out;
	}
	snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%u", m);
	r = sock_check(&g->x, sock, vm->cfg.rootless ? getuid() : vm->cfg.uid_base);
	if (r < 0) {
		gui_release(g);
		r = fvm_errf(err, r, "VM '%s': --gui x11: the nested X server's socket %s: %s", vm->cfg.name,
			     sock, r == -EPERM ? "not the server's own" : strerror(-r));
	} else if (vm->cfg.clipboard) {
		r = start_clip(vm, display, host, m, &own, g, err);
	}
out:
	for (int i = 0; i < 2; i++)
		if (dfd[i] >= 0)
			close(dfd[i]);
	return r;
}

