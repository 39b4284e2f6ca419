// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * init-static.c - the VM's init as a program of its own, for VMs booted
 * as root: init.c's loop, linked with no libc, built freestanding and
 * static (lib/meson.build), embedded in libfvm and executed by the VM's
 * first process from a sealed memfd (boot.c init_exe_open()).
 *
 * Theory of operation. An init that is the forked fvm keeps fvm's pages,
 * its seven libraries' mappings and their page tables: about 250 KiB of
 * host memory per idle VM. This program is a few pages. It has only what
 * init.c calls of libc, as raw system calls (x86-64; other machines keep
 * the forked init), and its entry point: _start() takes argc and argv
 * from the stack and calls main(), which finishes the boot's handshake on
 * fd 4 (init_handshake(): from here on out of the VM's reach) and runs
 * init_main() on the control socket, fd 3.
 *
 * Why it stays out of the VM's reach though it was executed inside the
 * VM's user namespace: the memfd belongs to the host's root and has mode
 * 0111, so the VM's root cannot read it; for such a file the kernel makes
 * the new process not dumpable and ties its memory to the first user
 * namespace that is privileged over the file, the host's (would_dump() in
 * fs/exec.c). So as for the forked init no VM process can ptrace it or
 * open its /proc/1/{mem,fd,exe}, whatever its capabilities (--caps all
 * included). The memfd is sealed: nothing can change what runs.
 *
 * argv: "fvm-init", then "p" (started by fvm start) or "-".
 */
#include <asm/unistd.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/launch.h"

static int err_no;

int *__errno_location(void)
{
	return &err_no;
}

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* a system call's return: -errno becomes -1 with errno set */
static long sys(long n, long a, long b, long c, long d)
{
	long r = sys6(n, a, b, c, d, 0, 0);

	if (r < 0 && r > -4096) {
		err_no = (int)-r;
		return -1;
	}
	return r;
}

/* ---- what init.c, init_handshake() and harden_init_caps() use of libc ---- */

ssize_t read(int fd, void *buf, size_t n) { return sys(__NR_read, fd, (long)buf, (long)n, 0); }
ssize_t write(int fd, const void *buf, size_t n) { return sys(__NR_write, fd, (long)buf, (long)n, 0); }
int close(int fd) { return (int)sys(__NR_close, fd, 0, 0, 0); }
int chdir(const char *p) { return (int)sys(__NR_chdir, (long)p, 0, 0, 0); }
int kill(pid_t p, int sig) { return (int)sys(__NR_kill, p, sig, 0, 0); }
pid_t waitpid(pid_t p, int *st, int fl) { return (pid_t)sys(__NR_wait4, p, (long)st, fl, 0); }
int poll(struct pollfd *f, nfds_t n, int ms) { return (int)sys(__NR_poll, (long)f, (long)n, ms, 0); }
ssize_t recv(int s, void *b, size_t n, int fl) { return sys(__NR_recvfrom, s, (long)b, (long)n, fl); }
ssize_t send(int s, const void *b, size_t n, int fl) { return sys(__NR_sendto, s, (long)b, (long)n, fl); }

int accept4(int s, __SOCKADDR_ARG a, socklen_t *__restrict l, int fl)
{
	return (int)sys(__NR_accept4, s, (long)a.__sockaddr__, (long)l, fl);
}

/* Root-mode VMs hand joiners no namespace fds (main() passes init_main()
 * none), so init.c never makes this call here. */
int fds_send_byte(int sock, char byte, const int *fds, size_t n)
{
	(void)sock, (void)byte, (void)fds, (void)n;
	return -ENOSYS;
}

_Noreturn void _exit(int st)
{
	for (;;)
		sys6(__NR_exit_group, st, 0, 0, 0, 0, 0);
}

int prctl(int op, ...)
{
	__builtin_va_list ap;
	unsigned long a;

	__builtin_va_start(ap, op);
	a = __builtin_va_arg(ap, unsigned long);
	__builtin_va_end(ap);
	return (int)sys(__NR_prctl, op, (long)a, 0, 0);
}

/* syscall(): harden_init_caps() calls capset through it (two arguments) */
long syscall(long n, ...)
{
	__builtin_va_list ap;
	long a, b;

	__builtin_va_start(ap, n);
	a = __builtin_va_arg(ap, long);
	b = __builtin_va_arg(ap, long);
	__builtin_va_end(ap);
	return sys(n, a, b, 0, 0);
}

int sigfillset(sigset_t *s)
{
	memset(s, 0xff, sizeof(*s));
	return 0;
}

/* the kernel's sigset is 8 bytes */
int sigprocmask(int how, const sigset_t *set, sigset_t *old)
{
	return (int)sys(__NR_rt_sigprocmask, how, (long)set, (long)old, 8);
}

int signalfd(int fd, const sigset_t *mask, int flags)
{
	return (int)sys(__NR_signalfd4, fd, (long)mask, 8, flags);
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}

/* ---- /proc as a directory stream: one open at a time, as init.c needs ---- */

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

struct __dirstream {
	int fd;
	long len, off;
	char buf[2048];
	struct dirent ent;
};

static struct __dirstream the_dir;

DIR *opendir(const char *p)
{
	long fd = sys(__NR_openat, AT_FDCWD, (long)p, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

	if (fd < 0)
		return NULL;
	the_dir.fd = (int)fd;
	the_dir.len = the_dir.off = 0;
	return &the_dir;
}

struct dirent *readdir(DIR *d)
{
	struct linux_dirent64 *e;
	size_t k = 0;

	if (d->off >= d->len) {
		d->len = sys(__NR_getdents64, d->fd, (long)d->buf, sizeof(d->buf), 0);
		d->off = 0;
		if (d->len <= 0)
			return NULL;
	}
	e = (struct linux_dirent64 *)(d->buf + d->off);
	d->off += e->d_reclen;
	while (k < sizeof(d->ent.d_name) - 1 && e->d_name[k]) {
		d->ent.d_name[k] = e->d_name[k];
		k++;
	}
	d->ent.d_name[k] = '\0';
	return &d->ent;
}

int closedir(DIR *d)
{
	return close(d->fd);
}

/* ---- the entry point ---- */

int main(int argc, char **argv);

/* the kernel's initial stack: argc, then argv */
__attribute__((used)) _Noreturn static void start_c(long *sp)
{
	_exit(main((int)sp[0], (char **)(sp + 1)));
}

__asm__(".text\n.global _start\n_start:\n\txor %rbp, %rbp\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n\tcall start_c\n\thlt\n");

int main(int argc, char **argv)
{
	if (init_handshake(4) < 0)
		return 1;
	close(4);
	init_main(3, argc > 1 && argv[1][0] == 'p', NULL, 0);
}
