// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * try-diff.c - fvm try's picker shows what a change did to a file: a
 * unified diff of the host's version and the VM's.
 *
 * The VM's file was written by the VM: it is opened in the VM's view
 * through no symlink (fvm_vm_open_file()), only a regular file of at most
 * SHOW_MAX bytes is shown, and diff(1) reads both versions from fds
 * (/dev/fd/3 and /dev/fd/4), never from a path the VM controls. Every
 * line diff prints (file names, content) goes to the terminal escaped
 * (escape.c): a VM's file cannot send an escape sequence. At most
 * SHOW_LINES lines are shown. A file that one side lacks is diffed
 * against an empty one.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "try-diff.h"

#define SHOW_MAX (1 << 20)
#define SHOW_LINES 2000

/* @fd if it is a regular file of at most SHOW_MAX bytes, else -1 (and closed), said why. */
static int showable(int fd, const char *side, const char *path)
{
	struct stat st;
	char b[512];
	const char *why = "not readable";

	if (fd >= 0 && fstat(fd, &st) == 0) {
		if (S_ISREG(st.st_mode) && st.st_size <= SHOW_MAX)
			return fd;
		why = S_ISREG(st.st_mode) ? "over 1 MiB" : "no regular file";
	}
	fprintf(stderr, "fvm: the %s's %s is %s: not shown\n", side, cli_escape(path, b, sizeof(b)), why);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* a side that does not have the file reads as empty */
static int empty_side(void)
{
	return open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int open_host(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return empty_side();
	return showable(fd, "host", path);
}

static int open_vm(struct fvm_vm *vm, const char *path)
{
	struct fvm_error e = { 0 };
	int fd = -1, r = fvm_vm_open_file(vm, path, &fd, &e);

	if (r == -ENOENT)
		return empty_side();
	if (r < 0) {
		cli_fail(&e);
		return -1;
	}
	return showable(fd, "VM", path);
}

_Noreturn static void run_diff(int host, int vmf, int out, const char *path)
{
	char hl[4200], vl[4200];
	int a = fcntl(host, F_DUPFD, 10), b = fcntl(vmf, F_DUPFD, 10);

	snprintf(hl, sizeof(hl), "host:%s", path);
	snprintf(vl, sizeof(vl), "vm:%s", path);
	if (a < 0 || b < 0 || dup2(a, 3) < 0 || dup2(b, 4) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
		_exit(127);
	execlp("diff", "diff", "-u", "--label", hl, "--label", vl, "/dev/fd/3", "/dev/fd/4", (char *)NULL);
	fprintf(stderr, "cannot run diff: %s\n", strerror(errno));
	_exit(127);
}

/* One line of diff's output, NULs and all, escaped. */
static void put_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		cli_put_escaped(stdout, s + i);
		i += strlen(s + i);
		if (i < n) {
			fputs("\\x00", stdout);
			i++;
		}
	}
	fputc('\n', stdout);
}

/**
 * try_show_diff() - print a unified diff of the host's @path and @vm's
 * (escaped, bounded); says on stderr why not if it cannot.
 */
void try_show_diff(struct fvm_vm *vm, const char *path)
{
	int host = open_host(path), vmf = host < 0 ? -1 : open_vm(vm, path), p[2] = { -1, -1 }, lines = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	pid_t pid = -1;
	FILE *f;

	if (host < 0 || vmf < 0 || pipe2(p, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		if (host >= 0 && vmf >= 0)
			fprintf(stderr, "fvm: cannot run diff: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0)
		run_diff(host, vmf, p[1], path);
	close(p[1]);
	p[1] = -1;
	f = fdopen(p[0], "r");
	p[0] = -1;
	fflush(stdout);
	while (f && (n = getline(&line, &cap, f)) > 0) {
		if (++lines > SHOW_LINES) {
			printf("[... more than %d lines: 'fvm diff' with the VM kept shows them all]\n", SHOW_LINES);
			kill(pid, SIGKILL);
			break;
		}
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		put_line(line, (size_t)n);
	}
	if (f)
		fclose(f);
	fflush(stdout);
	waitpid(pid, NULL, 0);
out:
	free(line);
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	if (host >= 0)
		close(host);
	if (vmf >= 0)
		close(vmf);
}
