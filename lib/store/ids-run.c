// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ids-run.c - the host-side work on the layers of a VM with --ids sub,
 * done in a child process, so that the caller keeps its own identity.
 *
 * Theory of operation. The files such a VM gave its ids 1..65535 belong
 * on the host to the user's subordinate ids: only a process of the
 * identity user namespace (subid_enter(), subid.c) reaches them, and
 * entering it is for good. vm_ids_run() forks a child that enters, runs
 * the operation and exits; the caller never enters. The caller's
 * callbacks (diff's function and commit's plan per change, the progress
 * of commit and export) run in the caller: the child's operation gets a
 * struct ids_call whose callbacks send each call over a SOCK_SEQPACKET
 * socket pair and, for a change, wait for the caller's answer (which can
 * stop the walk, or cancel a commit before anything is applied). At the
 * end the child sends its result: the return value, the error, the
 * bytes of @cb->ret and the fd of @cb->ret_fd (SCM_RIGHTS). A child that
 * dies without it is -EIO. It dies with the caller (PR_SET_PDEATHSIG);
 * it is the library's own code, forked from the caller, and exits with
 * _exit() (nothing of the caller's stdio or atexit runs twice).
 * Without --ids sub (or in such a child already) the operation runs in
 * the caller, with the caller's callbacks.
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"

#define RELAY_MAX (64u << 10)   /* one message: a change's path, target and reason */

enum { MSG_CHANGE = 1, MSG_COUNT, MSG_BYTES, MSG_PROGRESS, MSG_DONE };

struct msg_change {   /* then the strings, each with its NUL (len 0: NULL) */
	int kind;
	uint32_t len[3];  /* path, conflict_why, link_target */
	struct fvm_change c;
};

struct msg_pair {
	int kind;
	uint64_t done, total;
};

struct msg_progress {
	int kind;
	struct fvm_progress p;
};

struct msg_done {     /* then @cb->ret_len bytes of @cb->ret */
	int kind;
	int ret;
	struct fvm_error err;
};

struct relay {        /* the child's end */
	int sock;
	char *buf;
};

static int relay_send(struct relay *rl, const void *m, size_t len)
{
	ssize_t n;

	while ((n = send(rl->sock, m, len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)len ? 0 : -EIO;
}

static int relay_change(const struct fvm_change *c, void *userdata)
{
	struct relay *rl = userdata;
	struct msg_change *m = (struct msg_change *)rl->buf;
	const char *s[3] = { c->path, c->conflict_why, c->link_target };
	size_t off = sizeof(*m);
	int answer = -EIO;
	ssize_t n;

	m->kind = MSG_CHANGE;
	m->c = *c;
	m->c.path = m->c.conflict_why = m->c.link_target = NULL;
	for (int i = 0; i < 3; i++) {
		size_t len = s[i] ? strlen(s[i]) + 1 : 0;

		if (len > RELAY_MAX - off)
			return -ENAMETOOLONG;
		if (len)
			memcpy(rl->buf + off, s[i], len);
		m->len[i] = (uint32_t)len;
		off += len;
	}
	if (relay_send(rl, m, off) < 0)
		return -EIO;
	while ((n = recv(rl->sock, &answer, sizeof(answer), 0)) < 0 && errno == EINTR)
		;
	return n == sizeof(answer) ? answer : -EIO;
}

static void relay_count(size_t done, size_t total, void *userdata)
{
	struct msg_pair m = { MSG_COUNT, done, total };

	(void)relay_send(userdata, &m, sizeof(m));
}

static void relay_bytes(uint64_t done, uint64_t total, void *userdata)
{
	struct msg_pair m = { MSG_BYTES, done, total };

	(void)relay_send(userdata, &m, sizeof(m));
}

static void relay_progress(const struct fvm_progress *p, void *userdata)
{
	struct msg_progress m = { MSG_PROGRESS, *p };

	(void)relay_send(userdata, &m, sizeof(m));
}

/* The child: enter, run @fn with relaying callbacks, send the result. */
static int ids_child(struct fvm_vm *vm, ids_fn fn, const void *arg, const struct ids_call *cb, int sock)
{
	struct relay rl = { .sock = sock, .buf = malloc(RELAY_MAX) };
	struct ids_call mine = {
		.change = cb->change ? relay_change : NULL,
		.count = cb->count ? relay_count : NULL,
		.bytes = cb->bytes ? relay_bytes : NULL,
		.on_progress = cb->on_progress ? relay_progress : NULL,
		.userdata = &rl,
		.ret = cb->ret,   /* the same address in this copy of the caller */
		.ret_len = cb->ret_len,
	};
	struct msg_done *m = (struct msg_done *)rl.buf;
	union {   /* aligned for its cmsghdr */
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl = { 0 };
	struct iovec io;
	struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1 };
	struct fvm_error e = { 0 };
	int fd = -1, r;

	if (!rl.buf)
		return 1;
	mine.ret_fd = cb->ret_fd ? &fd : NULL;
	r = subid_enter(&vm->cfg, &e);
	if (r == 0)
		r = fn(vm, arg, &mine, &e);
	m->kind = MSG_DONE;
	m->ret = r;
	m->err = e;
	if (cb->ret_len)
		memcpy(rl.buf + sizeof(*m), cb->ret, cb->ret_len);
	io = (struct iovec){ rl.buf, sizeof(*m) + cb->ret_len };
	if (r == 0 && fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0;
}

/* A change the child sent, checked: its strings inside the message, each ending in NUL. */
static int change_decode(char *buf, size_t n, struct fvm_change *c)
{
	const struct msg_change *m = (const struct msg_change *)buf;
	const char **s[3] = { &c->path, &c->conflict_why, &c->link_target };
	size_t off = sizeof(*m);

	if (n < sizeof(*m))
		return -EIO;
	*c = m->c;
	for (int i = 0; i < 3; i++) {
		if (m->len[i] > n - off || (m->len[i] && buf[off + m->len[i] - 1]))
			return -EIO;
		*s[i] = m->len[i] ? buf + off : NULL;
		off += m->len[i];
	}
	return c->path ? 0 : -EIO;
}

/* The result in the child's last message @m (of @n bytes), fd @fd with it. */
static int done_take(const char *buf, size_t n, int fd, const struct ids_call *cb, struct fvm_error *err)
{
	const struct msg_done *m = (const struct msg_done *)buf;

	if (n != sizeof(*m) + cb->ret_len) {
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	if (cb->ret_len)
		memcpy(cb->ret, buf + sizeof(*m), cb->ret_len);
	if (fd >= 0 && m->ret == 0 && cb->ret_fd)
		*cb->ret_fd = fd;
	else if (fd >= 0)
		close(fd);
	if (m->ret < 0 && err)
		*err = m->err;
	return m->ret;
}

static int received_fd(struct msghdr *mh)
{
	struct cmsghdr *cm = CMSG_FIRSTHDR(mh);
	int fd = -1;

	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
	    cm->cmsg_len == CMSG_LEN(sizeof(int)))
		memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	return fd;
}

/* The caller's end: run its callbacks for the child until its result. */
static int relay_serve(int sock, const struct ids_call *cb, const char *name, bool *ret_done,
		       struct fvm_error *err)
{
	_cleanup_free_ char *buf = malloc(RELAY_MAX);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;

	if (!buf)
		return fvm_errf(err, -ENOMEM, "out of memory");
	for (;;) {
		struct iovec io = { buf, RELAY_MAX };
		struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		int fd = n > 0 ? received_fd(&mh) : -1, kind = 0, answer;
		const struct msg_pair *pair = (const struct msg_pair *)buf;
		struct fvm_change c;

		if (n < 0 && errno == EINTR)
			continue;
		if (n >= (ssize_t)sizeof(int) && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
			memcpy(&kind, buf, sizeof(int));
		if (kind == MSG_DONE) {
			*ret_done = true;
			return done_take(buf, (size_t)n, fd, cb, err);
		}
		if (fd >= 0)
			close(fd);
		if (kind == MSG_CHANGE && cb->change && change_decode(buf, (size_t)n, &c) == 0) {
			answer = cb->change(&c, cb->userdata);
			if (send(sock, &answer, sizeof(answer), MSG_NOSIGNAL) != sizeof(answer))
				kind = 0;
		} else if (kind == MSG_COUNT && cb->count && n == sizeof(*pair)) {
			cb->count((size_t)pair->done, (size_t)pair->total, cb->userdata);
		} else if (kind == MSG_BYTES && cb->bytes && n == sizeof(*pair)) {
			cb->bytes(pair->done, pair->total, cb->userdata);
		} else if (kind == MSG_PROGRESS && cb->on_progress && n == sizeof(struct msg_progress)) {
			cb->on_progress(&((const struct msg_progress *)buf)->p, cb->userdata);
		} else {
			kind = 0;
		}
		if (!kind)
			return fvm_errf(err, -EIO, "VM '%s': the process working on its layers died", name);
	}
}

/**
 * vm_ids_run() - @fn(@vm, @arg, callbacks, err) on the VM's layers: for a
 * VM with --ids sub in a child that enters the identity namespace
 * (subid_enter()), with @cb's callbacks relayed to the caller and its
 * results handed back (see the top of this file); else, or in such a
 * child already, in the caller with @cb itself. @cb may be NULL (no
 * callbacks, no results); @cb->ret_len is at most 4096.
 * Return: what @fn returned, or -errno with @err filled.
 */
int vm_ids_run(struct fvm_vm *vm, ids_fn fn, const void *arg, const struct ids_call *cb,
	       struct fvm_error *err)
{
	static const struct ids_call none = { 0 };
	pid_t parent = getpid(), c;
	int sv[2], r, status;
	bool done = false;

	cb = cb ? cb : &none;
	if (!vm->cfg.rootless || vm->cfg.ids != FVM_IDS_SUB || subid_entered())
		return fn(vm, arg, cb, err);
	if (cb->ret_len > 4096)
		return fvm_errf(err, -EINVAL, "VM '%s': a result too large to hand back", vm->cfg.name);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return fvm_errf(err, -errno, "cannot create a socket pair: %s", strerror(errno));
	c = fork();
	if (c == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(1);
		_exit(ids_child(vm, fn, arg, cb, sv[1]));
	}
	close(sv[1]);
	if (c < 0) {
		r = -errno;
		close(sv[0]);
		return fvm_errf(err, r, "cannot fork: %s", strerror(-r));
	}
	r = relay_serve(sv[0], cb, vm->cfg.name, &done, err);
	close(sv[0]);
	if (!done)   /* it died, or broke the protocol: not to be waited for */
		kill(c, SIGKILL);
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	return r;
}
