// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ctl.c - the client side of a VM's control socket, run/ctl.sock, which
 * its init listens on (init.c serve_clients()). One byte each way:
 *
 *   init -> client  'k'   counted: the VM stays up while the client holds
 *                         the connection; rootless, the VM's namespace fds
 *                         come with it (SCM_RIGHTS)
 *   client -> init  'p'   persist: keep running with no client (fvm start)
 *   client -> init  'q'   the client's program is done; init answers 's'
 *                         if the VM stops because of that (the client then
 *                         waits for init's exit to begin, or for it to be
 *                         gone) or 'c' if it carries on
 *
 * A hang-up counts as a leave without a word.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/launch.h"

/* run/ctl.sock, addressed through our fd table: sun_path stays short however deep the store is */
static int ctl_socket(struct fvm_vm *vm, bool listener, struct fvm_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int s, r;

	if (run < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot open %s/run: %s", vm->cfg.name, vm->dir,
				strerror(errno));
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/ctl.sock", run);
	s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | (listener ? SOCK_NONBLOCK : 0), 0);
	if (s < 0)
		return fvm_errf(err, -errno, "cannot create a socket: %s", strerror(errno));
	r = listener ? bind(s, (struct sockaddr *)&sa, sizeof(sa)) : connect(s, (struct sockaddr *)&sa, sizeof(sa));
	if (r == 0 && listener)
		r = listen(s, 128);
	if (r < 0) {
		r = -errno;
		close(s);
		return fvm_errf(err, r, "VM '%s': cannot %s %s/run/ctl.sock: %s", vm->cfg.name,
				listener ? "create" : "connect to", vm->dir, strerror(-r));
	}
	return s;
}

/* init's listening control socket, made at boot */
int ctl_listen(struct fvm_vm *vm, struct fvm_error *err)
{
	return ctl_socket(vm, true, err);
}

/* A connection to init's control socket: holding it keeps the VM up. */
int ctl_connect(struct fvm_vm *vm, int *ret, struct fvm_error *err)
{
	int s = ctl_socket(vm, false, err);

	if (s < 0)
		return s;
	*ret = s;
	return 0;
}

static int ctl_read(int fd, char *ret)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 10000) <= 0 || recv(fd, ret, 1, 0) != 1)
		return -EAGAIN;
	return 0;
}

/* Take the fds of a SCM_RIGHTS message: up to @max into @fds, the rest closed. */
static size_t take_fds(struct msghdr *msg, int *fds, size_t max)
{
	size_t n = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t k;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (n < max)
				fds[n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

/**
 * ctl_wait_ack_ns() - did init count us? It answers one byte ('k'); a
 * dying init answers nothing. In a rootless VM the byte carries init's
 * namespace fds (see init.c), which *@ret_n says how many of are now in
 * @fds (room for VM_NS_MAX), close-on-exec; the caller closes them.
 *
 * Return: 0, or -EAGAIN without an answer (nothing is left open).
 */
int ctl_wait_ack_ns(int fd, int *fds, size_t *ret_n)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char b = 0;
	struct iovec iov = { .iov_base = &b, .iov_len = 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int) * VM_NS_MAX)];
		struct cmsghdr align;
	} u;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	size_t n;

	*ret_n = 0;
	if (poll(&p, 1, 10000) <= 0 || recvmsg(fd, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -EAGAIN;
	n = take_fds(&msg, fds, VM_NS_MAX);
	if (b != 'k') {
		while (n > 0)
			close(fds[--n]);
		return -EAGAIN;
	}
	*ret_n = n;
	return 0;
}

/* ctl_wait_ack_ns() for a caller that does not enter the VM */
int ctl_wait_ack(int fd)
{
	int fds[VM_NS_MAX];
	size_t n;
	int r = ctl_wait_ack_ns(fd, fds, &n);

	while (n > 0)
		close(fds[--n]);
	return r;
}

/*
 * init said 's' and exits: wait (up to 10 s) until its exit has begun,
 * from when every reader takes the VM as stopped (vm_running()). A few
 * instructions after its answer, unless the machine is busy: a short
 * sleep between looks.
 */
static void wait_exiting(int init_pidfd, pid_t init_pid)
{
	struct pollfd p = { .fd = init_pidfd, .events = POLLIN };

	for (int i = 0; i < 100000; i++) {
		if (poll(&p, 1, 0) == 1 || proc_exiting(init_pid))
			return;
		usleep(100);
	}
}

/**
 * ctl_leave() - tell init we are done; if the VM stops because of it,
 * wait (up to 10 s) until init is gone (@wait_gone), or only until its
 * exit has begun, so the caller sees the VM stopped either way.
 *
 * Return: true if the VM stops because we left.
 */
bool ctl_leave(int fd, int init_pidfd, pid_t init_pid, bool wait_gone)
{
	struct pollfd p = { .fd = init_pidfd, .events = POLLIN };
	char b;

	if (send(fd, "q", 1, MSG_NOSIGNAL) != 1 || ctl_read(fd, &b) < 0 || b != 's')
		return false;
	if (!wait_gone)
		wait_exiting(init_pidfd, init_pid);
	else if (poll(&p, 1, 10000) == 1)
		/* we booted it, so it is our child: reap it (else ECHILD, harmless) */
		waitid(P_PIDFD, (id_t)init_pidfd, NULL, WEXITED | WNOHANG);
	return true;
}
