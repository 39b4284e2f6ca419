// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-process.c - proc_exiting(), which tells vm_running() that a VM's
 * init is on its way out (PF_EXITING, a zombie, gone) rather than running,
 * and close_all_except(), which leaves exactly the fds it is given.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"
#include "tap.h"

int main(void)
{
	int p[2], keep[3], kept = 1;
	pid_t child;

	tap_plan(6);
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
