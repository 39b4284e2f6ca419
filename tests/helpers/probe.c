/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe.c - a static test probe run inside fvm VMs.
 *
 * Each invocation performs ONE system-call-level action and reports what
 * the kernel said, so integration tests can assert isolation without
 * depending on what tools the host happens to have:
 *
 *	probe ACTION ARGS...
 *
 * prints "ok" (or the requested value) on success, "errno=NAME" (for
 * example "errno=EPERM") on failure, and exits 0 either way. A usage error
 * prints a message on stderr and exits 2. The binary is linked statically
 * and does not use libfvm, so it behaves the same inside any VM, whatever
 * the VM's /usr looks like.
 *
 * The *-unlink and sysv-rm actions exist so that a test which finds an
 * IPC object where it must not be (on the host) can remove it again.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strerrorname_np, sigabbrev_np, accept4 */
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* Print the outcome of the action: "ok" or "errno=NAME"; always exit 0. */
static int report(int r)
{
	if (r >= 0) {
		puts("ok");
	} else {
		const char *name = strerrorname_np(errno);

		if (name)
			printf("errno=%s\n", name);
		else
			printf("errno=%d\n", errno);
	}
	return 0;
}

static int fail(void)
{
	return report(-1);
}

static int usage(const char *msg)
{
	fprintf(stderr, "probe: %s\n"
		"usage: probe kill PID SIG | ptrace PID | open PATH r|w|rw|create [DATA] |\n"
		"       stat PATH | shm-create NAME [DATA] | shm-read NAME |\n"
		"       shm-unlink NAME | mq-create NAME | mq-open NAME | mq-unlink NAME |\n"
		"       sysv-create KEY | sysv-get KEY | sysv-rm KEY |\n"
		"       uid | hostname | sethostname NAME | pidns | getpid |\n"
		"       connect-unix PATH | connect-abstract NAME |\n"
		"       listen-unix PATH SECONDS | listen-abstract NAME SECONDS |\n"
		"       mount-tmpfs PATH | umount PATH | swap-loop PATH1 PATH2 SECONDS |\n"
		"       forks MAX | sys NAME\n"
		"       chmod-loop PATH MODE1 MODE2 SECONDS\n", msg);
	return 2;
}

/* Parse a decimal integer; -1 on garbage. */
static int parse_long(const char *s, long *ret)
{
	char *end;

	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || end == s || *end)
		return -1;
	*ret = v;
	return 0;
}

/*
 * swap-loop PATH1 PATH2 SECONDS: exchange the two names atomically
 * (renameat2 RENAME_EXCHANGE) again and again for SECONDS, or until
 * killed: a race partner for tests of code that must not follow a
 * directory swapped for a symlink. Prints the number of exchanges made
 * (always an even number, so that the names end as they began), or
 * "errno=..." if the first exchange fails.
 */
static int do_swap_loop(const char *a, const char *b, const char *secs_s)
{
	struct timespec start, now;
	unsigned long n = 0;
	long secs;

	if (parse_long(secs_s, &secs) < 0 || secs <= 0 || secs > 3600)
		return usage("swap-loop: bad SECONDS");
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		for (int i = 0; i < 2; i++) {
			if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0) {
				if (n == 0)
					return fail();
				printf("%lu\n", n);
				return 0;
			}
			n++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < secs);
	printf("%lu\n", n);
	return 0;
}

/*
 * chmod-loop PATH MODE1 MODE2 SECONDS: set PATH's mode to MODE1, then
 * MODE2 (octal), again and again for SECONDS, or until killed: a race
 * partner for tests of code that must apply the mode it checked. Ends
 * on MODE1; prints the number of changes made.
 */
static int do_chmod_loop(const char *path, const char *m1_s, const char *m2_s, const char *secs_s)
{
	struct timespec start, now;
	unsigned long n = 0;
	long secs, m1, m2;
	char *end;

	m1 = strtol(m1_s, &end, 8);
	if (*end || m1 < 0 || m1 > 07777)
		return usage("chmod-loop: bad MODE1");
	m2 = strtol(m2_s, &end, 8);
	if (*end || m2 < 0 || m2 > 07777)
		return usage("chmod-loop: bad MODE2");
	if (parse_long(secs_s, &secs) < 0 || secs <= 0 || secs > 3600)
		return usage("chmod-loop: bad SECONDS");
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (chmod(path, (mode_t)m2) < 0 || chmod(path, (mode_t)m1) < 0)
			return fail();
		n += 2;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec - start.tv_sec < secs);
	printf("%lu\n", n);
	return 0;
}

/* A signal given as a number ("15") or a name ("TERM", "SIGTERM"). */
static int parse_signal(const char *s)
{
	long v;

	if (parse_long(s, &v) == 0)
		return v >= 0 && v < NSIG ? (int)v : -1;
	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (int i = 1; i < NSIG; i++) {
		const char *abbrev = sigabbrev_np(i);

		if (abbrev && strcmp(abbrev, s) == 0)
			return i;
	}
	return -1;
}

static int do_kill(const char *pid_s, const char *sig_s)
{
	long pid;
	int sig = parse_signal(sig_s);

	if (parse_long(pid_s, &pid) < 0 || sig < 0)
		return usage("kill: bad PID or signal");
	return report(kill((pid_t)pid, sig));
}

static int do_ptrace(const char *pid_s)
{
	long pid;

	if (parse_long(pid_s, &pid) < 0)
		return usage("ptrace: bad PID");
	if (ptrace(PTRACE_ATTACH, (pid_t)pid, NULL, NULL) < 0)
		return fail();
	/* Attached: wait for the stop, then let the tracee go unharmed. */
	waitpid((pid_t)pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, (pid_t)pid, NULL, NULL);
	return report(0);
}

static int write_all(int fd, const char *data)
{
	size_t len = strlen(data);

	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int do_open(const char *path, const char *mode, const char *data)
{
	int flags;

	if (strcmp(mode, "r") == 0)
		flags = O_RDONLY;
	else if (strcmp(mode, "w") == 0)
		flags = O_WRONLY;
	else if (strcmp(mode, "rw") == 0)
		flags = O_RDWR;
	else if (strcmp(mode, "create") == 0)
		flags = O_WRONLY | O_CREAT;
	else
		return usage("open: mode must be r, w, rw or create");
	if (data && flags == O_RDONLY)
		return usage("open: DATA needs a writable mode");
	if (data)
		flags |= O_TRUNC;

	int fd = open(path, flags | O_CLOEXEC, 0644);
	if (fd < 0)
		return fail();
	if (data && write_all(fd, data) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return fail();
	}
	return report(close(fd));
}

static int do_stat(const char *path)
{
	struct stat st;

	return report(stat(path, &st));
}

/* POSIX IPC names need a leading '/'; accept them with or without. */
static const char *ipc_name(const char *name, char *buf, size_t size)
{
	if (name[0] == '/')
		return name;
	snprintf(buf, size, "/%s", name);
	return buf;
}

static int do_shm_create(const char *name, const char *data)
{
	char buf[NAME_MAX + 2];
	int fd = shm_open(ipc_name(name, buf, sizeof(buf)), O_RDWR | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return fail();
	if (write_all(fd, data ? data : "probe") < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return fail();
	}
	return report(close(fd));
}

static int do_shm_read(const char *name)
{
	char buf[NAME_MAX + 2];
	char content[4096];
	int fd = shm_open(ipc_name(name, buf, sizeof(buf)), O_RDONLY, 0);

	if (fd < 0)
		return fail();
	ssize_t n = read(fd, content, sizeof(content) - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return fail();
	}
	content[n] = '\0';
	puts(content);
	return 0;
}

static int do_mq(const char *name, bool create)
{
	char buf[NAME_MAX + 2];
	mqd_t q;

	if (create)
		q = mq_open(ipc_name(name, buf, sizeof(buf)), O_RDWR | O_CREAT, 0600, NULL);
	else
		q = mq_open(ipc_name(name, buf, sizeof(buf)), O_RDWR);
	if (q == (mqd_t)-1)
		return fail();
	return report(mq_close(q));
}

static int do_mq_unlink(const char *name)
{
	char buf[NAME_MAX + 2];

	return report(mq_unlink(ipc_name(name, buf, sizeof(buf))));
}

static int do_shm_unlink(const char *name)
{
	char buf[NAME_MAX + 2];

	return report(shm_unlink(ipc_name(name, buf, sizeof(buf))));
}

enum sysv_op { SYSV_CREATE, SYSV_GET, SYSV_RM };

static int do_sysv(const char *key_s, enum sysv_op op)
{
	long key;

	if (parse_long(key_s, &key) < 0 || key == IPC_PRIVATE)
		return usage("sysv: bad KEY (a non-zero integer)");
	int id = shmget((key_t)key, 4096, op == SYSV_CREATE ? IPC_CREAT | 0600 : 0);
	if (id < 0 || op != SYSV_RM)
		return report(id);
	return report(shmctl(id, IPC_RMID, NULL));
}

/* Fill a sockaddr_un; abstract names get a leading NUL. */
static int unix_addr(const char *name, bool abstract, struct sockaddr_un *sun,
		     socklen_t *ret_len)
{
	size_t len = strlen(name);
	size_t off = abstract ? 1 : 0;

	if (len + off >= sizeof(sun->sun_path))
		return -1;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + off, name, len);
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + off + len +
			       (abstract ? 0 : 1));
	return 0;
}

static int do_connect(const char *name, bool abstract)
{
	struct sockaddr_un sun;
	socklen_t len;

	if (unix_addr(name, abstract, &sun, &len) < 0)
		return usage("connect: name too long");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail();
	int r = connect(fd, (struct sockaddr *)&sun, len);
	int saved = errno;
	close(fd);
	errno = saved;
	return report(r);
}

/* SIGALRM without SA_RESTART makes accept() fail with EINTR on timeout. */
static void on_alarm(int sig)
{
	(void)sig;
}

static int accept_until(int fd, long secs)
{
	struct sigaction sa = { .sa_handler = on_alarm };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned)secs);
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	alarm(0);
	if (c >= 0)
		close(c);
	return c < 0 ? -1 : 0;
}

/*
 * Listen on a UNIX socket (abstract or a path) and accept one connection,
 * for at most SECONDS. Prints "listening" once bound (so a test can wait
 * for it), then "ok" when a peer connected or "errno=..." (EINTR on
 * timeout). A path socket is unlinked again before returning.
 */
static int do_listen(const char *name, bool abstract, const char *secs_s)
{
	struct sockaddr_un sun;
	socklen_t len;
	long secs;

	if (parse_long(secs_s, &secs) < 0 || secs <= 0 || secs > 3600)
		return usage("listen: bad SECONDS");
	if (unix_addr(name, abstract, &sun, &len) < 0)
		return usage("listen: name too long");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail();
	if (bind(fd, (struct sockaddr *)&sun, len) < 0 || listen(fd, 1) < 0)
		return fail();
	puts("listening");
	fflush(stdout);
	int r = accept_until(fd, secs);
	int saved = errno;
	close(fd);
	if (!abstract)
		unlink(name);
	errno = saved;
	return report(r);
}

static int do_uid(void)
{
	printf("uid=%u euid=%u gid=%u\n", (unsigned)getuid(), (unsigned)geteuid(),
	       (unsigned)getgid());
	return 0;
}

static int do_hostname(void)
{
	char buf[HOST_NAME_MAX + 1];

	if (gethostname(buf, sizeof(buf)) < 0)
		return fail();
	buf[HOST_NAME_MAX] = '\0';
	puts(buf);
	return 0;
}

static int do_pidns(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/ns/pid", buf, sizeof(buf) - 1);

	if (n < 0)
		return fail();
	buf[n] = '\0';
	puts(buf);
	return 0;
}

/* i386 mount(2) through int 0x80: does the seccomp filter cover the
 * 32-bit system call table too? (-ENOSYS where the kernel has no IA32.) */
static long mount_int80(void)
{
#if defined(__x86_64__)
	static const char src[] = "none", dst[] = "/mnt", type[] = "tmpfs";
	long ret;

	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(21L), "b"(src), "c"(dst), "d"(type), "S"(0L), "D"(0L)
			 : "memory");
	return ret;
#else
	return -ENOSYS;
#endif
}

/*
 * sys NAME: one system call the VM's hardening is meant to stop, with
 * harmless arguments: without a filter each fails some other way (or
 * works, like keyctl and mount in a user namespace); denied, it is EPERM.
 */
static int do_sys(const char *name)
{
	long r;

	if (!strcmp(name, "keyctl")) {
		r = syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0);
	} else if (!strcmp(name, "mount")) {
		r = mount("none", "/mnt", "tmpfs", 0, NULL);
		if (r == 0)
			umount2("/mnt", MNT_DETACH);
	} else if (!strcmp(name, "mount32")) {
		r = mount_int80();
		if (r == 0)
			umount2("/mnt", MNT_DETACH);
		if (r < 0) {
			errno = (int)-r;
			r = -1;
		}
	} else if (!strcmp(name, "init_module")) {
		r = syscall(SYS_init_module, NULL, 0UL, "");
	} else if (!strcmp(name, "kexec_load")) {
		r = syscall(SYS_kexec_load, 0UL, 0UL, NULL, 0UL);
	} else if (!strcmp(name, "bpf")) {
		r = syscall(SYS_bpf, 0, NULL, 0);
	} else if (!strcmp(name, "clock_settime")) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		r = clock_settime(CLOCK_REALTIME, &ts);
	} else if (!strcmp(name, "unshare-user")) {
		r = unshare(CLONE_NEWUSER);
	} else if (!strcmp(name, "clone-user")) {
		r = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0UL);
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
	} else if (!strcmp(name, "clone3")) {
		/* struct clone_args up to exit_signal: a plain fork */
		unsigned long long args[8] = { 0, 0, 0, 0, SIGCHLD, 0, 0, 0 };

		r = syscall(SYS_clone3, args, sizeof(args));
		if (r == 0)
			_exit(0);
		if (r > 0)
			waitpid((pid_t)r, NULL, 0);
	} else if (!strcmp(name, "io_uring_setup")) {
		unsigned char params[120] = { 0 };   /* struct io_uring_params */

		r = syscall(SYS_io_uring_setup, 1, params);
		if (r >= 0)
			close((int)r);
	} else if (!strcmp(name, "tiocsti")) {
		char c = ' ';

		r = ioctl(0, TIOCSTI, &c);
	} else {
		return usage("unknown system call for sys");
	}
	return report(r < 0 ? -1 : 0);
}

/*
 * forks MAX: fork children that wait, until fork fails or MAX of them
 * live; print "N errno=NAME" (or "N ok" at MAX), then end them all.
 */
static int do_forks(const char *max_s)
{
	long max, n = 0;
	pid_t *kids;
	int e = 0;

	if (parse_long(max_s, &max) < 0 || max < 1 || max > 100000)
		return usage("forks: bad MAX");
	kids = calloc((size_t)max, sizeof(*kids));
	if (!kids)
		return fail();
	for (; n < max; n++) {
		pid_t p = fork();

		if (p < 0) {
			e = errno;
			break;
		}
		if (p == 0) {
			pause();
			_exit(0);
		}
		kids[n] = p;
	}
	for (long i = 0; i < n; i++)
		kill(kids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	printf("%ld %s%s\n", n, e ? "errno=" : "ok", e ? strerrorname_np(e) : "");
	free(kids);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage("missing ACTION");

	const char *act = argv[1];
	int nargs = argc - 2;
	char **a = argv + 2;

#define NEED(lo, hi)                                                     \
	do {                                                             \
		if (nargs < (lo) || nargs > (hi))                        \
			return usage("wrong number of arguments");       \
	} while (0)

	if (strcmp(act, "kill") == 0) {
		NEED(2, 2);
		return do_kill(a[0], a[1]);
	} else if (strcmp(act, "ptrace") == 0) {
		NEED(1, 1);
		return do_ptrace(a[0]);
	} else if (strcmp(act, "open") == 0) {
		NEED(2, 3);
		return do_open(a[0], a[1], nargs == 3 ? a[2] : NULL);
	} else if (strcmp(act, "stat") == 0) {
		NEED(1, 1);
		return do_stat(a[0]);
	} else if (strcmp(act, "shm-create") == 0) {
		NEED(1, 2);
		return do_shm_create(a[0], nargs == 2 ? a[1] : NULL);
	} else if (strcmp(act, "shm-read") == 0) {
		NEED(1, 1);
		return do_shm_read(a[0]);
	} else if (strcmp(act, "mq-create") == 0) {
		NEED(1, 1);
		return do_mq(a[0], true);
	} else if (strcmp(act, "mq-open") == 0) {
		NEED(1, 1);
		return do_mq(a[0], false);
	} else if (strcmp(act, "sysv-create") == 0) {
		NEED(1, 1);
		return do_sysv(a[0], SYSV_CREATE);
	} else if (strcmp(act, "sysv-get") == 0) {
		NEED(1, 1);
		return do_sysv(a[0], SYSV_GET);
	} else if (strcmp(act, "sysv-rm") == 0) {
		NEED(1, 1);
		return do_sysv(a[0], SYSV_RM);
	} else if (strcmp(act, "mq-unlink") == 0) {
		NEED(1, 1);
		return do_mq_unlink(a[0]);
	} else if (strcmp(act, "shm-unlink") == 0) {
		NEED(1, 1);
		return do_shm_unlink(a[0]);
	} else if (strcmp(act, "uid") == 0) {
		NEED(0, 0);
		return do_uid();
	} else if (strcmp(act, "hostname") == 0) {
		NEED(0, 0);
		return do_hostname();
	} else if (strcmp(act, "sethostname") == 0) {
		NEED(1, 1);
		return report(sethostname(a[0], strlen(a[0])));
	} else if (strcmp(act, "pidns") == 0) {
		NEED(0, 0);
		return do_pidns();
	} else if (strcmp(act, "getpid") == 0) {
		NEED(0, 0);
		printf("%d\n", (int)getpid());
		return 0;
	} else if (strcmp(act, "connect-unix") == 0) {
		NEED(1, 1);
		return do_connect(a[0], false);
	} else if (strcmp(act, "connect-abstract") == 0) {
		NEED(1, 1);
		return do_connect(a[0], true);
	} else if (strcmp(act, "listen-abstract") == 0) {
		NEED(2, 2);
		return do_listen(a[0], true, a[1]);
	} else if (strcmp(act, "listen-unix") == 0) {
		NEED(2, 2);
		return do_listen(a[0], false, a[1]);
	} else if (strcmp(act, "mount-tmpfs") == 0) {
		NEED(1, 1);
		return report(mount("tmpfs", a[0], "tmpfs", 0, "size=1m"));
	} else if (strcmp(act, "umount") == 0) {
		NEED(1, 1);
		return report(umount2(a[0], 0));
	} else if (strcmp(act, "swap-loop") == 0) {
		NEED(3, 3);
		return do_swap_loop(a[0], a[1], a[2]);
	} else if (strcmp(act, "forks") == 0) {
		if (nargs != 1)
			return usage("forks MAX");
		return do_forks(a[0]);
	} else if (strcmp(act, "chmod-loop") == 0) {
		NEED(4, 4);
		return do_chmod_loop(a[0], a[1], a[2], a[3]);
	} else if (strcmp(act, "sys") == 0) {
		NEED(1, 1);
		return do_sys(a[0]);
	}
#undef NEED
	return usage("unknown ACTION");
}
