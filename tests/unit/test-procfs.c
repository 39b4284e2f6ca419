// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-procfs.c - /proc parsing (lib/vm/procfs.c): a real child process
 * named to look like more fields ("x) Z 9\nNSpid:\t7": a ')' , spaces, a
 * newline) has its /proc/PID/stat and status read, and the parsers take
 * what the kernel wrote, not what the name says; then hostile and cut
 * texts: a forged NSpid line before the real one, nested pid namespaces,
 * a stat without its fields (no read past its end), statm, io (not
 * cancelled_write_bytes), a command line's NULs and its cut.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "vm/vm.h"
#include "tap.h"

#define HOSTILE_NAME "x) Z 9\nNSpid:\t7"

static char *slurp(pid_t pid, const char *file)
{
	char p[64];
	char *s = NULL;

	snprintf(p, sizeof(p), "/proc/%d/%s", (int)pid, file);
	if (read_small_fileat(AT_FDCWD, p, &s, NULL) < 0)
		return NULL;
	return s;
}

/* A child that burns @ms of CPU, takes the hostile name and waits. */
static pid_t spawn(int ready[2], int hold[2], long ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		char c;

		while (clock() < ms * (CLOCKS_PER_SEC / 1000))
			;
		prctl(PR_SET_NAME, HOSTILE_NAME);
		if (write(ready[1], "r", 1) != 1 || read(hold[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	return pid;
}

static void real_process(void)
{
	int ready[2], hold[2];
	long tick = sysconf(_SC_CLK_TCK);
	unsigned long long ticks = 0;
	char *stat, *status, c;
	pid_t pid;
	int r;

	if (pipe(ready) < 0 || pipe(hold) < 0 || (pid = spawn(ready, hold, 300)) < 0 ||
	    read(ready[0], &c, 1) != 1) {
		printf("Bail out! cannot start a child\n");
		exit(1);
	}
	stat = slurp(pid, "stat");
	status = slurp(pid, "status");
	tap_ok(stat && strstr(stat, "(" HOSTILE_NAME ")"), "the child's stat holds its name raw, ')' and newline included");
	r = stat ? proc_stat_ticks(stat, &ticks) : -1;
	tap_ok(r == 0 && ticks >= (unsigned long long)(tick / 5) &&
	       ticks < (unsigned long long)(tick * 100),
	       "its CPU time is read after the last ')': %llu ticks for 300 ms burnt (%ld a second)", ticks, tick);
	tap_ok(status && proc_status_nspid(status) == pid,
	       "its pid is the NSpid line's, not the name's (%d, want %d)", status ? proc_status_nspid(status) : -1, (int)pid);
	if (write(hold[1], "g", 1) != 1)
		kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(stat);
	free(status);
}

static void texts(void)
{
	unsigned long long v = 0, rd = 1, wr = 2;
	char cmd[] = "sh\0-c\0echo a\nb\0", buf[64], small[6];
	int r;

	tap_ok(proc_status_nspid("Name:\tx\nNSpid:\t7\nState:\tS\nNSpid:\t4000\t12\t1\nPPid:\t1\n") == 1,
	       "a forged NSpid line before the real one: the real one's last field");
	tap_ok(proc_status_nspid("Name:\tsh\nNSpid:\t4242\n") == 4242, "one pid namespace: its pid");
	tap_ok(proc_status_nspid("Name:\tsh\nPid:\t1\n") == 0 && proc_status_nspid("") == 0,
	       "no NSpid line: 0");
	tap_ok(proc_stat_ticks("1 (x)", &v) < 0 && proc_stat_ticks("1 (x) ", &v) < 0 &&
	       proc_stat_ticks("1 x R 1", &v) < 0 && proc_stat_ticks("", &v) < 0,
	       "a stat cut after its name, or without one, is refused (nothing read past its end)");
	r = proc_stat_ticks("77 (a (b) c) S 1 77 77 0 -1 4194560 100 0 0 0 25 17 0 0 20 0 1 0 5 1000 50\n", &v);
	tap_ok(r == 0 && v == 42, "a name with parentheses inside: utime 25 + stime 17 = %llu", v);
	tap_ok(proc_statm_rss("2000 345 100 10 0 200 0\n", &v) == 0 && v == 345 && proc_statm_rss("x", &v) < 0,
	       "statm: the second field is resident pages, text is refused");
	proc_io_bytes("rchar: 10\nwchar: 20\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\n"
		      "cancelled_write_bytes: 100\n", &rd, &wr);
	tap_ok(rd == 4097 && wr == 8194, "io: read_bytes and write_bytes added, not cancelled_write_bytes (%llu, %llu)", rd, wr);
	rd = wr = 0;
	proc_io_bytes("cancelled_write_bytes: 100\n", &rd, &wr);
	tap_ok(rd == 0 && wr == 0, "io without the fields adds nothing");
	proc_cmdline_text(cmd, sizeof(cmd) - 1, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "sh -c echo a\nb"), "a command line's NULs are spaces, its bytes as they were ('%s')", buf);
	memcpy(cmd, "abcdefgh\0", 9);
	proc_cmdline_text(cmd, 9, small, sizeof(small));
	tap_ok(!strcmp(small, "abcde"), "a command line is cut to the buffer ('%s')", small);
}

int main(void)
{
	tap_plan(13);
	real_process();
	texts();
	return tap_done();
}
