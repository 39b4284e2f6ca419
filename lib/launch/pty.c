// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pty.c - a terminal for a program inside a VM.
 *
 * The pseudo-terminal comes from the VM's own devpts: the program's side
 * (after joining the VM) opens /dev/ptmx, takes the peer as its
 * controlling terminal and sends the master to fvm, which relays bytes
 * between it and the user's terminal (raw mode, window size kept in
 * step). The program never holds the user's terminal, so it cannot push
 * input into it (TIOCSTI) or reach the session it belongs to.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "launch/launch.h"
#include "util/util.h"

/**
 * pty_child_setup() - in the program's process: open a pty in the VM's
 * devpts (the ptmx device itself below the VM's root @rootfd, not the VM's
 * /dev/ptmx symlink), make it the controlling terminal and stdio, send
 * the master over @sock.
 */
int pty_child_setup(int rootfd, int sock)
{
	int unlock = 0, peer, r;
	_cleanup_close_ int master = vm_open_dev(rootfd, "dev/pts/ptmx", O_RDWR, 5, 2);

	if (master < 0)
		return master;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return -errno;
	peer = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (peer < 0)
		return -errno;
	if (ioctl(peer, TIOCSCTTY, 0) < 0 || dup2(peer, 0) < 0 || dup2(peer, 1) < 0 ||
	    dup2(peer, 2) < 0) {
		r = -errno;
		close(peer);
		return r;
	}
	if (peer > 2)
		close(peer);
	return fds_send(sock, &master, 1);
}

static void copy_winsize(int from, int to)
{
	struct winsize ws;

	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

/* Move what is readable on @from to @to. Return: false on EOF/error. */
static bool pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && (errno == EAGAIN || errno == EINTR);
	return write_all(to, buf, (size_t)n) == 0;
}

/**
 * pty_relay() - relay between the user's terminal and @master until the
 * program (@child_pidfd) has exited and its output is drained.
 * @sfd: signalfd of the signals to forward (SIGWINCH resizes instead)
 */
void pty_relay(int master, int child_pidfd, pid_t child, int sfd)
{
	struct termios saved, raw;
	bool tty = tcgetattr(0, &saved) == 0, in_open = true, exited = false;

	if (tty) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(0, TCSADRAIN, &raw);
		copy_winsize(0, master);
	}
	fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd p[4] = {
			{ .fd = master, .events = POLLIN },
			{ .fd = in_open ? 0 : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = exited ? -1 : child_pidfd, .events = POLLIN },
		};

		if (poll(p, 4, exited ? 50 : -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			if (!pump(master, 1))
				break;
		} else if (p[0].revents & (POLLHUP | POLLERR)) {
			break;   /* every holder of the peer closed it */
		} else if (exited && !p[0].revents) {
			break;   /* drained */
		}
		if (p[1].revents && !pump(0, master))
			in_open = false;
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGWINCH)
					copy_winsize(0, master);
				else if (si.ssi_signo != SIGCHLD)
					kill(child, (int)si.ssi_signo);
			}
		}
		if (p[3].revents & POLLIN)
			exited = true;
	}
	if (tty)
		tcsetattr(0, TCSADRAIN, &saved);
}
