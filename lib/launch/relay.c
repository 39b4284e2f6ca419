// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * relay.c - the caller's terminal stays out of the VM: stdio through pipes.
 *
 * Theory of operation. Without -t, a program used to inherit fvm's stdin,
 * stdout and stderr. Where one of them was the user's terminal, the
 * program, or anything it left running in the VM, kept that terminal
 * after fvm returned: it could read what the user typed next (a password
 * for sudo), change the terminal's modes, write into it. So each of fvm's
 * stdio fds that is a terminal reaches the program as a pipe, and fvm
 * copies between the pipe and its terminal: stdout and stderr on one
 * terminal share one pipe (their output keeps its order on the screen, as
 * it would on the terminal); stdin only with -i (else the program gets
 * /dev/null). Stdio that is no terminal (a file, a pipe, a socket) is passed
 * as it is: the bytes stay exact and it costs nothing.
 *
 * fvm copies until the program exits, then drains what is already in the
 * output pipes (at most one pipe's capacity each, so a process that keeps
 * writing cannot hold fvm) and closes its ends. A process the program left
 * running in the VM then holds pipes that nobody reads: its writes fail
 * (EPIPE, or SIGPIPE), its reads see end of file. It never gets the
 * terminal. Input typed after the program exited stays in the terminal for
 * the shell. SIGPIPE is ignored in fvm while it relays (a program that
 * closed its stdin must not kill fvm) and restored afterwards.
 *
 * relay_run() is also fvm's loop when nothing is relayed: it forwards the
 * signals fvm gets to the program until the program exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/launch.h"
#include "util/util.h"

static bool same_terminal(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && S_ISCHR(sa.st_mode) &&
	       S_ISCHR(sb.st_mode) && sa.st_rdev == sb.st_rdev;
}

/* A pipe for the program's fd @fd; fvm's end is non-blocking. */
static int add_chan(struct relay *r, int fd)
{
	struct relay_chan *c = &r->ch[r->nch];
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	c->to_vm = fd == 0;
	c->from = c->to_vm ? 0 : p[0];
	c->to = c->to_vm ? p[1] : fd;
	r->child[fd] = c->to_vm ? p[0] : p[1];
	c->len = c->off = 0;
	r->nch++;
	if (fcntl(c->to_vm ? c->to : c->from, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/**
 * relay_setup() - pipes for those of fvm's fds 0 (with @with_stdin), 1
 * and 2 that are terminals. Call before forking the program's process.
 *
 * Return: 0 or -errno (release @r with relay_release() either way).
 */
int relay_setup(struct relay *r, bool with_stdin)
{
	int e = 0;

	*r = (struct relay){ .child = { -1, -1, -1 } };
	for (size_t i = 0; i < ARRAY_SIZE(r->ch); i++)
		r->ch[i].from = r->ch[i].to = -1;
	if (with_stdin && isatty(0))
		e = add_chan(r, 0);
	if (e == 0 && isatty(1))
		e = add_chan(r, 1);
	if (e == 0 && isatty(2)) {
		if (r->child[1] >= 0 && same_terminal(1, 2))
			r->child[2] = r->child[1];
		else
			e = add_chan(r, 2);
	}
	return e;
}

/**
 * relay_child() - in the program's process: the pipes become its stdio.
 *
 * Return: 0 or -errno (-EBADF if fvm was started with stdio closed, so
 * that a pipe took one of its numbers).
 */
int relay_child(const struct relay *r)
{
	for (int i = 0; i < 3; i++) {
		if (r->child[i] < 0)
			continue;
		if (r->child[i] <= 2 && r->child[i] != i)
			return -EBADF;
		if (dup2(r->child[i], i) < 0)
			return -errno;
	}
	return 0;
}

/**
 * relay_started() - in fvm, once the program's process exists: close the
 * program's ends, so that fvm sees end of file when the program's side
 * is gone.
 */
void relay_started(struct relay *r)
{
	for (int i = 0; i < 3; i++) {
		if (r->child[i] < 0)
			continue;
		for (int k = i + 1; k < 3; k++)
			if (r->child[k] == r->child[i])
				r->child[k] = -1;
		close(r->child[i]);
		r->child[i] = -1;
	}
}

static void chan_close(struct relay_chan *c)
{
	int ours = c->to_vm ? c->to : c->from;

	if (ours >= 0)
		close(ours);
	c->from = c->to = -1;
}

/* Program output: copy what is there (at most @budget) to the caller. */
static void pump_out(struct relay_chan *c, size_t budget)
{
	char buf[RELAY_BUF];

	while (c->from >= 0 && budget > 0) {
		ssize_t n = read(c->from, buf, budget < sizeof(buf) ? budget : sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0 || write_all(c->to, buf, (size_t)n) < 0) {
			chan_close(c);   /* every writer gone, or the caller's terminal */
			return;
		}
		budget -= (size_t)n;
	}
}

/* The caller's input: read when the buffer is empty, write what fits. */
static void pump_in(struct relay_chan *c, short revents_from)
{
	if (c->len == 0 && revents_from) {
		ssize_t n = read(c->from, c->buf, sizeof(c->buf));

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0) {
			chan_close(c);   /* end of input: the program sees it too */
			return;
		}
		c->len = (size_t)n;
		c->off = 0;
	}
	while (c->off < c->len) {
		ssize_t n = write(c->to, c->buf + c->off, c->len - c->off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			chan_close(c);   /* the program closed its stdin */
			return;
		}
		c->off += (size_t)n;
	}
	c->len = c->off = 0;
}

static void forward_signals(int sfd, pid_t child)
{
	struct signalfd_siginfo si;

	while (read(sfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo != SIGCHLD && si.ssi_signo != SIGWINCH)
			kill(child, (int)si.ssi_signo);
}

/* One poll entry per live pipe: input waits for data or for room. */
static size_t poll_set(struct relay *r, struct pollfd *p, struct relay_chan **which)
{
	size_t n = 0;

	for (size_t i = 0; i < r->nch; i++) {
		struct relay_chan *c = &r->ch[i];

		if (c->from < 0)
			continue;
		if (c->to_vm && c->len)
			p[n] = (struct pollfd){ .fd = c->to, .events = POLLOUT };
		else
			p[n] = (struct pollfd){ .fd = c->from, .events = POLLIN };
		which[n++] = c;
	}
	return n;
}

/**
 * relay_run() - copy between fvm's terminal and the program's pipes and
 * forward signals (@sfd, a signalfd) to @child until it exits
 * (@child_pidfd readable); then drain and close the pipes.
 */
void relay_run(struct relay *r, int child_pidfd, pid_t child, int sfd)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	bool exited = false;

	sigaction(SIGPIPE, &ign, &old);
	while (!exited) {
		struct pollfd p[2 + ARRAY_SIZE(r->ch)] = { { .fd = sfd, .events = POLLIN },
							   { .fd = child_pidfd, .events = POLLIN } };
		struct relay_chan *which[ARRAY_SIZE(r->ch)];
		size_t n = poll_set(r, p + 2, which);

		if (poll(p, 2 + n, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN)
			forward_signals(sfd, child);
		for (size_t i = 0; i < n; i++) {
			if (!p[2 + i].revents)
				continue;
			if (which[i]->to_vm)
				pump_in(which[i], p[2 + i].fd == which[i]->from ? p[2 + i].revents : 0);
			else
				pump_out(which[i], RELAY_BUF);
		}
		exited = p[1].revents & POLLIN;
	}
	for (size_t i = 0; i < r->nch; i++) {
		struct relay_chan *c = &r->ch[i];

		if (!c->to_vm && c->from >= 0) {
			int sz = fcntl(c->from, F_GETPIPE_SZ);

			pump_out(c, sz > 0 ? (size_t)sz : 65536);
		}
		chan_close(c);
	}
	sigaction(SIGPIPE, &old, NULL);
}

/**
 * relay_release() - close whatever of @r is still open.
 */
void relay_release(struct relay *r)
{
	relay_started(r);
	for (size_t i = 0; i < r->nch; i++)
		chan_close(&r->ch[i]);
	r->nch = 0;
}
