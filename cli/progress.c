// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * progress.c - a progress line on stderr for long export and import work:
 * only when stderr is a terminal and TERM is not "dumb", after the first
 * second, at most ten times a second; plain text (no colour, so NO_COLOR
 * has nothing to turn off).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fvm.h"
#include "progress.h"

void progress_init(struct progress *p, const char *what)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->what = what;
	p->on = isatty(2) && !(term && !strcmp(term, "dumb"));
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

static long long ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000LL + (b->tv_nsec - a->tv_nsec) / 1000000;
}

void progress_show(struct progress *p, uint64_t bytes, uint64_t total, uint64_t items)
{
	struct timespec now;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ms_between(&p->start, &now) < 1000 || (p->shown && ms_between(&p->last, &now) < 100))
		return;
	p->shown = true;
	p->last = now;
	if (total)
		fprintf(stderr, "\rfvm: %s %3llu%% (%llu of %llu MiB)\033[K", p->what,
			(unsigned long long)(bytes * 100 / total), (unsigned long long)(bytes >> 20),
			(unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\rfvm: %s %llu MiB, %llu entries\033[K", p->what,
			(unsigned long long)(bytes >> 20), (unsigned long long)items);
}

void progress_end(struct progress *p)
{
	if (p->shown)
		fputc('\n', stderr);
}
