// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * procfs.c - the /proc files fvm reads about a VM's processes, parsed:
 * what each read gives is text a process of the VM shaped in part (its
 * name, its command line), so every parser is bounded and takes only
 * what the kernel wrote. procs.c and stats.c read the files.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm/vm.h"

/**
 * proc_status_nspid() - the pid in the innermost pid namespace from the
 * text of /proc/PID/status: the last field of its NSpid line. The line is
 * looked for from the end: the Name line comes first, so a name that
 * held a line of its own (the kernel escapes newlines there) could not
 * stand for it. Return: the pid, 0 when there is none.
 */
int proc_status_nspid(const char *status)
{
	const char *l = NULL, *end, *last = NULL;

	for (const char *p = status; (p = strstr(p, "\nNSpid:")); p++)
		l = p + 1;
	if (!l)
		return 0;
	end = l + strcspn(l, "\n");
	for (const char *p = l; p < end; p++)
		if (*p == '\t')
			last = p;
	return last ? atoi(last + 1) : 0;
}

/**
 * proc_stat_ticks() - user plus system time, in clock ticks, from the
 * text of /proc/PID/stat. The fields are read after the last ')': the
 * name before it (between parentheses) may hold ')', spaces and newlines.
 * Return: 0, or -1 when the text has no such fields.
 */
int proc_stat_ticks(const char *stat, unsigned long long *ret)
{
	const char *p = strrchr(stat, ')');
	unsigned long long ut, st;

	if (!p || p[1] != ' ' ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	*ret = ut + st;
	return 0;
}

/** proc_statm_rss() - resident pages from the text of /proc/PID/statm; 0 or -1. */
int proc_statm_rss(const char *statm, unsigned long long *ret)
{
	return sscanf(statm, "%*u %llu", ret) == 1 ? 0 : -1;
}

/**
 * proc_io_bytes() - read_bytes and write_bytes of the text of
 * /proc/PID/io, added to *@rd and *@wr (each where the file has it).
 */
void proc_io_bytes(const char *io, unsigned long long *rd, unsigned long long *wr)
{
	const char *rb = strstr(io, "\nread_bytes: "), *wb = strstr(io, "\nwrite_bytes: ");

	if (rb)
		*rd += strtoull(rb + 13, NULL, 10);
	if (wb)
		*wr += strtoull(wb + 14, NULL, 10);
}

/**
 * proc_cmdline_text() - the command line @data (@n bytes of
 * /proc/PID/cmdline: arguments ending in NUL) as one line in @buf, the
 * arguments separated by spaces, as the VM wrote them (control bytes
 * included: whoever prints it escapes it, cli/escape.c); cut to @len.
 */
void proc_cmdline_text(char *data, size_t n, char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < n; i++)
		if (data[i] == '\0')
			data[i] = ' ';
	snprintf(buf, len, "%.*s", n > INT_MAX ? INT_MAX : (int)n, data);
}
