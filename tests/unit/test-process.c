// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-process.c - proc_stat(), the fields of /proc/PID/stat read past a
 * hostile name; proc_exiting(), which tells vm_running() that a VM's
 * init is on its way out (PF_EXITING, a zombie, gone) rather than running,
 * and close_all_except(), which leaves exactly the fds it is given.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"
#include "tap.h"

int main(void)
{
	int p[2], keep[3], kept = 1;
	unsigned long long start = 0, start2 = 1;
	unsigned long flags;
	char state = 0, b;
	pid_t child;

	tap_plan(9);
	if (pipe(p) < 0)
		return 1;
	child = fork();
	if (child == 0) {
		/* a name that looks like the end of the name, a zombie's state and fields */
		prctl(PR_SET_NAME, ") Z 1 2 3 4");
		if (write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &b, 1) != 1)
		return 1;
	close(p[0]);
	/* running or asleep (it may not have reached pause() yet), never the name's Z */
	tap_ok(proc_stat(child, &state, &flags, &start) == 0 && (state == 'S' || state == 'R') && !(flags & 0x4),
	       "proc_stat: a child named ') Z 1 2 3 4' reads as running or sleeping, not exiting");
	tap_ok(proc_starttime(child, &start2) == 0 && start2 == start && start > 0,
	       "proc_stat and proc_starttime agree on its start time");
	kill(child, SIGSTOP);
	waitid(P_PID, (id_t)child, NULL, WSTOPPED | WNOWAIT);
	tap_ok(proc_stat(child, &state, NULL, NULL) == 0 && state == 'T', "proc_stat: a stopped child reads as stopped");
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	tap_ok(!proc_exiting(getpid()), "a running process is not exiting");
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	tap_ok(!proc_exiting(child), "a sleeping child is not exiting");
	kill(child, SIGKILL);
	waitid(P_PID, (id_t)child, NULL, WEXITED | WNOWAIT);   /* a zombie now */
	tap_ok(proc_exiting(child), "a zombie is exiting");
	waitpid(child, NULL, 0);
	tap_ok(proc_exiting(child), "a reaped process is gone");

	if (pipe(p) < 0)
		return 1;
	keep[0] = p[1];
	keep[1] = -1;
	keep[2] = 1;
	child = fork();
	if (child == 0)
		_exit(close_all_except(keep, 3) == 0 && fcntl(p[1], F_GETFD) >= 0 &&
		      fcntl(p[0], F_GETFD) < 0 ? 0 : 1);
	waitpid(child, &kept, 0);
	tap_ok(WIFEXITED(kept) && WEXITSTATUS(kept) == 0, "close_all_except keeps the fd asked for, closes the rest");
	tap_ok(close_all_except(keep, 9) < 0, "more fds than it takes are refused");
	return tap_done();
}
