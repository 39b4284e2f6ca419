// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * init.c - PID 1 of every VM.
 *
 * Theory of operation. init reaps every process re-parented to it, and
 * decides when the VM stops. Programs are not its children: `fvm run` and
 * `fvm exec` join the VM's namespaces from the host and fork the program
 * there, so it is a child of that fvm process (which passes its exit
 * status through). To know they exist, each such fvm holds a connection
 * to the control socket (fd 3) for as long as its program runs: init
 * accepts it and answers one byte, so the joiner knows it was counted.
 * In a rootless VM that byte carries fds of init's namespaces (user first,
 * see ns_open_own()), opened at boot: init is not dumpable, so a joiner
 * of the same uid cannot setns() through init's pidfd or open its
 * /proc/PID/ns, and enters with these instead.
 *
 * init holds nothing a VM process could use: it is not dumpable (no VM
 * process can ptrace it or open its /proc/1/fd, /proc/1/mem, whatever its
 * capabilities) and it keeps no capability but CAP_KILL (to pass signals
 * on to every uid of the VM).
 *
 * Two builds of this file: in libfvm, where a rootless VM's init is the
 * forked fvm that booted it, and in the static init (init-static.c) that
 * a VM booted as root executes instead, a few pages in place of fvm's.
 *
 * A VM that was not started with `fvm start` stops when it has no client
 * connection, no child and no other process in its /proc. The last check
 * covers the instant between a client's exit and the kernel re-parenting
 * its orphans to init: then init looks again shortly after.
 *
 * When init decides to stop it closes the control socket first, so a
 * joiner racing with it gets no answer and boots the VM anew instead of
 * joining a dying one. SIGTERM (fvm stop) is passed to every process of
 * the VM; init leaves once they are gone (fvm stop kills init after its
 * timeout, and the kernel then kills the rest). Other signals that the
 * host sends to init (HUP, INT, QUIT, USR1, USR2) are forwarded to every
 * process of the VM.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "policy/policy.h"
#include "launch/launch.h"

#define MAX_CLIENTS 1024

/* Is any process other than init left in the VM's /proc? */
static bool others_alive(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d)))
		found = de->d_name[0] >= '1' && de->d_name[0] <= '9' && strcmp(de->d_name, "1");
	closedir(d);
	return found;
}

/* Reap what exited. Return: true while init still has children. */
static bool reap(void)
{
	for (;;) {
		pid_t p = waitpid(-1, NULL, WNOHANG);

		if (p > 0)
			continue;
		return p == 0;
	}
}

/* the namespace fds a joiner gets with its 'k' (rootless VMs) */
static const int *ns_fds;
static size_t ns_nfds;

static int send_ack(int c)
{
	if (!ns_nfds)
		return send(c, "k", 1, MSG_NOSIGNAL) == 1 ? 0 : -EIO;
	return fds_send_byte(c, 'k', ns_fds, ns_nfds);
}

static int accept_all(int lfd, struct pollfd *cl, int n, bool stopping)
{
	int c;

	while ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		if (stopping || n >= MAX_CLIENTS) {
			close(c);
			continue;
		}
		if (send_ack(c) < 0) {
			close(c);
			continue;
		}
		/* the slot may hold the revents of a client that left: a stale
		 * POLLIN would make serve_clients() drop this one unheard */
		cl[n] = (struct pollfd){ .fd = c, .events = POLLIN };
		n++;
	}
	return n;
}

/* Would the VM stop now, with @nclients clients left? */
static bool idle(bool persist, int nclients)
{
	return !persist && nclients == 0 && !reap() && !others_alive();
}

/*
 * Read what clients say: 'p' (fvm start): stay up without users; 'q': the
 * client's program is done and it leaves; it is told 's' if the VM stops
 * because of that (it then waits for init to be gone, or only for its exit
 * to begin, so that its caller sees a stopped VM; the control socket is
 * closed first) or 'c' if the VM carries on. A hang-up is a leave
 * without a word.
 */
static int serve_clients(struct pollfd *cl, int n, int lfd, bool *persist)
{
	for (int i = 0; i < n; i++) {
		char b = 0;
		int fd = cl[i].fd;
		ssize_t k;

		if (!cl[i].revents)
			continue;
		cl[i].revents = 0;
		k = recv(fd, &b, 1, MSG_DONTWAIT);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;   /* nothing to read after all: still a client */
		if (k > 0 && b != 'q') {
			if (b == 'p')
				*persist = true;
			continue;
		}
		cl[i--] = cl[--n];
		if (b == 'q') {
			bool stop = idle(*persist, n);

			/* no joiner may connect to a VM that is going: its socket
			 * goes now, not with the teardown that follows our exit */
			if (stop && lfd >= 0)
				close(lfd);
			send(fd, stop ? "s" : "c", 1, MSG_NOSIGNAL);
			close(fd);
			if (stop)
				_exit(0);
		} else {
			close(fd);
		}
	}
	return n;
}

/**
 * init_handshake() - the end of the boot, in the process that is init:
 * wait for the parent's 'g' (it has recorded us), get out of the VM's
 * reach (not dumpable, CAP_KILL alone), stop dying with the parent, and
 * say 'c' on the boot's socket @sock. Stopping dying with the parent
 * earlier could leave an init no state names if fvm is killed now; later
 * would let an fvm that exits at once (start) take the new VM with it.
 * No VM program runs before our 'c'.
 *
 * Return: 0, or -1 (the boot failed: the caller exits).
 */
int init_handshake(int sock)
{
	char c;

	if (read(sock, &c, 1) != 1 || c != 'g')
		return -1;
	if (prctl(PR_SET_DUMPABLE, 0) < 0 || harden_init_caps() < 0)
		return -1;
	prctl(PR_SET_PDEATHSIG, 0);
	return write(sock, "c", 1) == 1 ? 0 : -1;
}

/**
 * init_main() - be the VM's init until it stops
 * @lfd: the listening control socket
 * @persist_at_boot: started by fvm start
 * @nsfds: @nns namespace fds to hand every joiner (rootless), or none
 */
_Noreturn void init_main(int lfd, bool persist_at_boot, const int *nsfds, size_t nns)
{
	static struct pollfd fds[MAX_CLIENTS + 2];
	struct pollfd *cl = fds + 2;
	sigset_t mask;
	int nclients = 0, sfd, backoff = 10;
	bool stopping = false, persist = persist_at_boot;

	ns_fds = nsfds;
	ns_nfds = nns;
	prctl(PR_SET_NAME, "fvm-init");
	sigfillset(&mask);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		_exit(1);
	if (chdir("/") < 0)
		_exit(1);
	fds[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	fds[1] = (struct pollfd){ .fd = lfd, .events = POLLIN };

	for (;;) {
		struct signalfd_siginfo si;
		bool children;
		int timeout = -1;

		while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
			int sig = (int)si.ssi_signo;

			if (sig == SIGTERM || sig == SIGPWR) {
				stopping = true;
				kill(-1, SIGTERM);
			} else if (sig == SIGHUP || sig == SIGINT || sig == SIGQUIT ||
				   sig == SIGUSR1 || sig == SIGUSR2) {
				kill(-1, sig);
			}
		}
		if (fds[1].fd >= 0)
			nclients = accept_all(lfd, cl, nclients, stopping);
		nclients = serve_clients(cl, nclients, fds[1].fd, &persist);
		children = reap();
		if (stopping || (!persist && nclients == 0 && !children)) {
			if (!others_alive())
				_exit(0);
			if (!stopping) {
				timeout = backoff;   /* orphans on their way to us */
				backoff = backoff < 1000 ? backoff * 2 : 1000;
			}
		} else {
			backoff = 10;
		}
		if (stopping && fds[1].fd >= 0) {
			close(fds[1].fd);   /* no new joiners into a dying VM */
			fds[1].fd = -1;
		}
		if (stopping)
			timeout = 100;
		if (poll(fds, (nfds_t)(2 + nclients), timeout) < 0 && errno != EINTR)
			_exit(1);
	}
}
