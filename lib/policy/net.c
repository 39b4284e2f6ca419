// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * net.c - --net private: the VM's own network stack, connected to the
 * host's through pasta (Debian package passt).
 *
 * Theory of operation. A private VM has its own network namespace with
 * loopback up, like --net none (boot.c). Once its init is ready, the
 * parent, still on the host, starts pasta on it: pasta makes a tap
 * interface in the VM's namespace, gives it the host's addresses and
 * routes (--config-net) and carries the VM's outbound TCP, UDP and ping
 * over ordinary sockets of the host. The VM does not reach the host's
 * loopback services (127.0.0.1: often unauthenticated, meant for the
 * host's own programs) unless asked (--host-loopback on: pasta then maps
 * the gateway address to 127.0.0.1; never with the untrusted profile).
 * Inbound, only the
 * published ports are forwarded (-t/-u HOST:VM, "none" without any), and
 * nothing is forwarded from the VM's loopback to the host's (-T/-U none).
 *
 * Who pasta runs as. pasta runs in the host's network namespace but in
 * the VM's user namespace, as the VM's root: it needs CAP_SYS_ADMIN over
 * the VM's network namespace and nothing on the host. As root, the host
 * uid behind it is the VM's uid_base, which owns nothing on the host;
 * rootless, it is the user. fvm opens the VM's net namespace (and, as
 * root, hands over a pipe re-owned to that uid) before the switch, so
 * pasta needs no access to init's /proc, which a root-mode init denies.
 *
 * Lifetime. pasta does not quit when the VM's processes are gone: it
 * holds the namespace itself. So it is not left to itself: fvm double
 * forks a small supervisor ("fvm-net", in its own session, stdio on
 * /dev/null) whose child runs pasta in the foreground with a parent-death
 * signal. The supervisor waits on pidfds of the VM's init and of pasta:
 * when init exits - fvm stop, or the VM's last process gone - it stops
 * pasta and leaves; if the supervisor itself is killed, the kernel kills
 * pasta. Nothing in fvm has to be running for this, and nothing runs in
 * the VM: init sees no extra process.
 *
 * /dev/net/tun. pasta opens it by path, as the VM's root. Many hosts
 * make it 0666; some keep it 0600 root (this project's machines do). As
 * root, fvm never changes the host's node: pasta gets a mount namespace
 * of its own where /dev/net is a small tmpfs holding one node of the
 * same device, owned by the VM's root (uid_base), so pasta can open it
 * and nothing else on the host can reach it through that node.
 * Rootless, fvm checks before anything starts that the user can open
 * the host's node, and says what to do if not.
 *
 * Readiness. pasta writes its pid (--pid) once its set-up is done; fvm
 * gives it the write end of a pipe as that file, waits for the pid (or
 * for end of file: pasta failed, its message is in run/net.log, pasta's
 * stderr) and records it in run/net.pid, so that fvm stop can wait until
 * pasta is gone too.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/policy.h"

#define PASTA_READY_MS 10000   /* pasta sets up in milliseconds; this is for a loaded host */
#define PASTA_STOP_MS 2000     /* fvm stop waits this long for pasta after init is gone */

/* the fds pasta gets, as /proc/self/fd/N in its arguments */
#define PASTA_NETNS_FD 3
#define PASTA_PIDFILE_FD 4

/*
 * "8080:80/tcp" entries of @c for @proto, as pasta's port list
 * "8080:80,8443:443", or "none" (pasta's default for -t and -u is
 * "auto": every port bound in the VM).
 */
static void port_spec(const struct vm_config *c, const char *proto, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->npublish; i++) {
		const char *slash = strchr(c->publish[i], '/');

		if (!slash || strcmp(slash + 1, proto))
			continue;
		off += (size_t)snprintf(buf + off, len - off, "%s%.*s", off ? "," : "",
					(int)(slash - c->publish[i]), c->publish[i]);
		if (off >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

/*
 * Make fds[i] fd number i, for i < @n, and close every other fd. The
 * fds are first copied above the targets, so that none is overwritten
 * before it is copied.
 */
int fds_arrange(const int *fds, int n)
{
	int tmp[8];

	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 16);
		if (tmp[i] < 0)
			return -errno;
	}
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], i) < 0)
			return -errno;
	syscall(SYS_close_range, (unsigned)n, ~0U, 0U);
	return 0;
}

void signals_reset(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Root mode: give this process (pasta to be) a private /dev/net/tun that
 * the VM's root may open, in a mount namespace of its own. @tun_rdev is
 * the host's tun device.
 */
static int tun_private(const struct fvm_vm *vm, dev_t tun_rdev)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("tmpfs", "/dev/net", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=4k") < 0 ||
	    mknod("/dev/net/tun", S_IFCHR | 0600, tun_rdev) < 0 ||
	    chown("/dev/net/tun", vm->cfg.uid_base, vm->cfg.uid_base) < 0)
		return -errno;
	return 0;
}

/*
 * The host's /dev/net/tun, as pasta needs it: its device number in
 * *@ret_rdev. Rootless, the user must be able to open it.
 */
static int tun_check(const struct fvm_vm *vm, dev_t *ret_rdev, struct fvm_error *err)
{
	static const char fix[] = "run fvm as root, or have the host's administrator make it accessible (chmod 0666 /dev/net/tun, as most distributions ship it)";
	struct stat st;
	int fd;

	if (fstatat(AT_FDCWD, "/dev/net/tun", &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISCHR(st.st_mode))
		return fvm_errf(err, -ENODEV, "VM '%s': --net private needs the host's /dev/net/tun, which %s: load the tun module (modprobe tun) or use --net none or --net host",
				vm->cfg.name, errno == ENOENT ? "does not exist" : "is not a character device");
	*ret_rdev = st.st_rdev;
	if (!vm->cfg.rootless)
		return 0;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return fvm_errf(err, -errno, "VM '%s': --net private needs /dev/net/tun, which this user (uid %u) cannot open (mode %04o, owner %u): %s; %s",
				vm->cfg.name, (unsigned)getuid(), (unsigned)(st.st_mode & 07777),
				(unsigned)st.st_uid, strerror(errno), fix);
	close(fd);
	return 0;
}

/* The child of the supervisor: become the VM's root, then pasta. */
_Noreturn static void pasta_child(const struct fvm_vm *vm, pid_t supervisor, int initfd,
				  int netfd, int readyfd, int logfd, dev_t tun_rdev,
				  char *const argv[])
{
	int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	int fds[] = { nul, nul, logfd, netfd, readyfd };
	int r = vm->cfg.rootless ? 0 : tun_private(vm, tun_rdev);

	if (r < 0) {
		dprintf(logfd, "fvm: cannot give pasta a /dev/net/tun of its own: %s\n", strerror(-r));
		_exit(1);
	}
	if (setns(initfd, CLONE_NEWUSER) < 0 || setresgid(0, 0, 0) < 0 ||
	    (!vm->cfg.rootless && setgroups(0, NULL) < 0) || setresuid(0, 0, 0) < 0) {
		dprintf(logfd, "fvm: cannot enter the VM's user namespace: %s\n", strerror(errno));
		_exit(1);
	}
	/* after the credential change, which clears it */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != supervisor)
		_exit(1);
	if (nul < 0 || fds_arrange(fds, (int)ARRAY_SIZE(fds)) < 0) {
		dprintf(logfd, "fvm: cannot set up pasta's file descriptors: %s\n", strerror(errno));
		_exit(1);
	}
	execvp(argv[0], argv);
	dprintf(2, "fvm: cannot run %s: %s%s\n", argv[0], strerror(errno),
		errno == ENOENT ? " (install the passt package)" : "");
	_exit(127);
}

/*
 * The supervisor: start pasta, stop it when the VM's init exits; leave
 * when pasta exits. Never returns.
 */
_Noreturn static void supervise(const struct fvm_vm *vm, int initfd, int netfd, int readyfd,
				int logfd, dev_t tun_rdev, char *const argv[])
{
	pid_t self = getpid(), child;
	int nul, pfd;
	struct pollfd p[2];

	prctl(PR_SET_NAME, "fvm-net");
	if (chdir("/") < 0)
		_exit(1);
	child = fork();
	if (child < 0)
		_exit(1);
	if (child == 0)
		pasta_child(vm, self, initfd, netfd, readyfd, logfd, tun_rdev, argv);
	pfd = (int)syscall(SYS_pidfd_open, child, 0);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (pfd < 0 || nul < 0 || fds_arrange((int[]){ nul, nul, nul, initfd, pfd }, 5) < 0) {
		kill(child, SIGKILL);
		_exit(1);
	}
	p[0] = (struct pollfd){ .fd = 3, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = 4, .events = POLLIN };
	while (poll(p, 2, -1) < 0 && errno == EINTR)
		;
	syscall(SYS_pidfd_send_signal, 4, SIGTERM, NULL, 0);
	if (poll(&p[1], 1, 1000) != 1)
		syscall(SYS_pidfd_send_signal, 4, SIGKILL, NULL, 0);
	waitpid(child, NULL, 0);
	_exit(0);
}

/*
 * Is every published host port free on IPv4? pasta binds the wildcard
 * address of both families and goes on, without a word, with the ones it
 * got: a port held on 127.0.0.1 by another program would then reach that
 * program, not the VM. Checking first turns that into an error (a port
 * taken in between still slips through, as it would for any server).
 */
static int ports_free(const struct vm_config *c, unsigned *ret_port, const char **ret_proto)
{
	for (size_t i = 0; i < c->npublish; i++) {
		unsigned h = 0;
		const char *slash = strchr(c->publish[i], '/');
		bool udp = slash && !strcmp(slash + 1, "udp");
		struct sockaddr_in sa = { .sin_family = AF_INET };
		int one = 1, r = 0;
		int s = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0);

		if (s < 0 || sscanf(c->publish[i], "%u", &h) != 1) {
			if (s >= 0)
				close(s);
			continue;
		}
		sa.sin_port = htons((uint16_t)h);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno == EADDRINUSE)
			r = -EADDRINUSE;
		close(s);
		if (r < 0) {
			*ret_port = h;
			*ret_proto = udp ? "udp" : "tcp";
			return r;
		}
	}
	return 0;
}

/* pasta's last words in run/net.log, for the error message */
static void pasta_message(struct fvm_vm *vm, char *buf, size_t len)
{
	_cleanup_free_ char *log = NULL;
	size_t n = 0;
	char *line, *save = NULL;

	snprintf(buf, len, "it exited without a message");
	if (read_small_fileat(vm->dirfd, "run/net.log", &log, &n) < 0)
		return;
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		/* without a system logger, pasta says so for every message */
		if (*line && strncmp(line, "Failed to send ", 15))
			snprintf(buf, len, "%s", strncmp(line, "fvm: ", 5) ? line : line + 5);
}

/* Read pasta's pid from @fd: 0 and the pid, -EPIPE at end of file, -ETIMEDOUT. */
static int ready_wait(int fd, pid_t *ret)
{
	char buf[32];
	size_t got = 0;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
		ssize_t k;
		int r = poll(&p, 1, PASTA_READY_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -ETIMEDOUT;
		k = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	buf[got] = '\0';
	if (sscanf(buf, "%d", ret) != 1 || *ret <= 0)
		return -EPIPE;
	return 0;
}

/* what a pasta being started needs open, released by pasta_start_release() */
struct pasta_start {
	int netfd;      /* the VM's network namespace */
	int initfd;     /* a pidfd of its init: pasta's supervisor ends with it */
	int run;        /* VMDIR/run */
	int logfd;      /* run/net.log: pasta's last words */
	int ready[2];   /* pasta says it is set up */
	dev_t tun_rdev;
};

#define PASTA_START_INIT { .netfd = -1, .initfd = -1, .run = -1, .logfd = -1, .ready = { -1, -1 } }

static void pasta_start_release(struct pasta_start *p)
{
	int *fds[] = { &p->netfd, &p->initfd, &p->run, &p->logfd, &p->ready[0], &p->ready[1] };

	for (size_t i = 0; i < ARRAY_SIZE(fds); i++)
		if (*fds[i] >= 0) {
			close(*fds[i]);
			*fds[i] = -1;
		}
}

static int pasta_open(struct fvm_vm *vm, pid_t init_pid, struct pasta_start *p, struct fvm_error *err)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init_pid);
	p->netfd = open(path, O_RDONLY | O_CLOEXEC);
	p->initfd = (int)syscall(SYS_pidfd_open, init_pid, 0);
	if (p->netfd < 0 || p->initfd < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot start pasta for --net private: cannot open its network namespace: %s",
				vm->cfg.name, strerror(errno));
	p->run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (p->run >= 0)
		p->logfd = openat(p->run, "net.log", O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (p->logfd < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot start pasta for --net private: cannot create %s/run/net.log: %s",
				vm->cfg.name, vm->dir, strerror(errno));
	if (pipe2(p->ready, O_CLOEXEC) < 0)
		return fvm_errf(err, -errno, "cannot create a pipe: %s", strerror(errno));
	/* pasta, as the VM's root, reopens the pipe through /proc/self/fd */
	if (!vm->cfg.rootless && fchown(p->ready[1], vm->cfg.uid_base, vm->cfg.uid_base) < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot start pasta for --net private: %s",
				vm->cfg.name, strerror(errno));
	return 0;
}

/* Fork the supervisor (which forks pasta) in a session of its own, led by *@ret_mid. */
static int pasta_spawn(struct fvm_vm *vm, struct pasta_start *p, char **argv, pid_t *ret_mid,
		       struct fvm_error *err)
{
	pid_t mid = fork();

	if (mid < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot start pasta for --net private: %s",
				vm->cfg.name, strerror(errno));
	if (mid == 0) {
		pid_t sup;

		/* own session: no terminal, and the caller's Ctrl-C is not ours */
		signals_reset();
		setsid();
		sup = fork();
		if (sup == 0)
			supervise(vm, p->initfd, p->netfd, p->ready[1], p->logfd, p->tun_rdev, argv);
		_exit(sup < 0);
	}
	close(p->ready[1]);
	p->ready[1] = -1;
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	*ret_mid = mid;
	return 0;
}

/* Wait until pasta is set up, then record it in run/net.pid; else end its session @mid. */
static int pasta_record(struct fvm_vm *vm, struct pasta_start *p, pid_t mid, struct fvm_error *err)
{
	char msg[256], rec[64];
	unsigned long long start;
	pid_t pasta;
	int r = ready_wait(p->ready[0], &pasta);

	if (r == -ETIMEDOUT) {
		/* the supervisor and pasta share the session @mid led */
		kill(-mid, SIGKILL);
		return fvm_errf(err, r, "VM '%s': cannot start pasta for --net private: it did not finish setting up in %d s",
				vm->cfg.name, PASTA_READY_MS / 1000);
	}
	if (r < 0) {
		pasta_message(vm, msg, sizeof(msg));
		return fvm_errf(err, -EIO, "VM '%s': cannot start pasta for --net private: %s", vm->cfg.name, msg);
	}
	r = proc_starttime(pasta, &start);
	if (r == 0) {
		int k = snprintf(rec, sizeof(rec), "%d %llu\n", (int)pasta, start);

		r = write_fileat_atomic(p->run, "net.pid", rec, (size_t)k, 0600, false);
	}
	if (r < 0) {
		kill(-mid, SIGKILL);
		return fvm_errf(err, r, "VM '%s': cannot record pasta's pid in %s/run/net.pid: %s",
				vm->cfg.name, vm->dir, strerror(-r));
	}
	return 0;
}

/**
 * net_start() - connect a --net private VM to the host's network: start
 * pasta on the network namespace of the VM whose init is @init_pid (a
 * child of the caller), under a supervisor that stops it with the VM.
 * The caller holds the VM's lock; run/ exists.
 *
 * Return: 0, or -errno with @err naming the VM and pasta's complaint.
 * On failure nothing of pasta is left running; the VM is the caller's
 * to stop.
 */
int net_start(struct fvm_vm *vm, pid_t init_pid, struct fvm_error *err)
{
	char tcp[MAX_PUBLISH * 12 + 8], udp[MAX_PUBLISH * 12 + 8];
	char netns_arg[32], pid_arg[32];
	/* the host's loopback at the gateway only when asked, never untrusted */
	char *argv[] = {
		"pasta", "--config-net", "--foreground", "--quiet", "--runas", "0",
		"--tcp-ports", tcp, "--udp-ports", udp, "--tcp-ns", "none", "--udp-ns", "none",
		"--pid", pid_arg, "--netns", netns_arg, vm->cfg.host_loopback && !vm->cfg.untrusted ? NULL : "--no-map-gw", NULL
	};
	struct pasta_start p = PASTA_START_INIT;
	const char *proto = NULL;
	unsigned port = 0;
	pid_t mid = 0;
	int r;

	r = tun_check(vm, &p.tun_rdev, err);
	if (r < 0)
		return r;
	r = ports_free(&vm->cfg, &port, &proto);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot start pasta for --net private: host port %u/%s is in use: publish another one (fvm config %s -p HOSTPORT:VMPORT)",
				vm->cfg.name, port, proto, vm->cfg.name);
	port_spec(&vm->cfg, "tcp", tcp, sizeof(tcp));
	port_spec(&vm->cfg, "udp", udp, sizeof(udp));
	snprintf(netns_arg, sizeof(netns_arg), "/proc/self/fd/%d", PASTA_NETNS_FD);
	snprintf(pid_arg, sizeof(pid_arg), "/proc/self/fd/%d", PASTA_PIDFILE_FD);

	r = pasta_open(vm, init_pid, &p, err);
	if (r == 0)
		r = pasta_spawn(vm, &p, argv, &mid, err);
	if (r == 0)
		r = pasta_record(vm, &p, mid, err);
	pasta_start_release(&p);
	return r;
}

/**
 * net_stop() - after the VM's init is gone, wait until its pasta (if it
 * has one, in run/net.pid) is gone too: its supervisor stops it, this
 * makes sure before fvm stop returns.
 */
void net_stop(struct fvm_vm *vm)
{
	recorded_wait_gone(vm->dirfd, "run/net.pid", PASTA_STOP_MS, PASTA_STOP_MS);
}
