// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * progress.c - one line on stderr that moves with long work (commit,
 * discard, diff of a large layer, export, import, the copy of a running
 * VM's layer for a snapshot or clone, a merge at the stack's bound): entries and bytes done of all, and a
 * bar when the total is known. Only when stderr is a terminal that can
 * redraw a line (not TERM=dumb); coloured unless NO_COLOR is set
 * (https://no-color.org). Nothing is shown for work that ends within
 * half a second, and at most ten redraws a second; the line is erased
 * at the end, so what follows starts on a clean line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "progress.h"

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/**
 * cli_progress_init() - a progress line for @what ("committing")
 * @p:    the line's state
 * @what: what is being done, a verb in -ing
 */
void cli_progress_init(struct cli_progress *p, const char *what)
{
	const char *term = getenv("TERM");

	memset(p, 0, sizeof(*p));
	p->what = what;
	p->on = isatty(2) && !(term && !strcmp(term, "dumb"));
	p->color = p->on && !getenv("NO_COLOR");
	clock_gettime(CLOCK_MONOTONIC, &p->start);
}

/**
 * cli_progress_update() - redraw the line, if it is time
 * @p:     the line
 * @unit:  what @done counts ("files")
 * @done:  how many so far; @total of all (0: not known)
 * @total: see @done
 * @bytes: bytes so far; @bytes_total of all (0: not shown)
 * @bytes_total: see @bytes
 */
void cli_progress_update(struct cli_progress *p, const char *unit, size_t done, size_t total,
			 uint64_t bytes, uint64_t bytes_total)
{
	struct timespec now;
	char b1[32], b2[32], bar[24] = "";
	unsigned pct;

	if (!p->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->start, &now) < 0.5 || (p->shown && since(&p->last, &now) < 0.1))
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\r\033[Kfvm: %s: %zu", p->what, done);
	if (total)
		fprintf(stderr, "/%zu", total);
	fprintf(stderr, " %s", unit);
	if (bytes_total) {
		cli_size(bytes, true, b1, sizeof(b1));
		cli_size(bytes_total, true, b2, sizeof(b2));
		fprintf(stderr, ", %s/%s", b1, b2);
	} else if (bytes) {
		cli_size(bytes, true, b1, sizeof(b1));
		fprintf(stderr, ", %s", b1);
	}
	if (total) {
		/* an entry costs about what copying a block does: weigh both */
		pct = (unsigned)(((double)done * 4096 + (double)bytes) * 100 /
				 ((double)total * 4096 + (double)bytes_total));
		if (pct > 100)
			pct = 100;
		memset(bar, '#', pct / 5);
		fprintf(stderr, " %s[%-20s]%s %3u%%", p->color ? "\033[32m" : "", bar, p->color ? "\033[0m" : "", pct);
	}
	fflush(stderr);
}

/**
 * cli_progress_copy() - a struct fvm_snapshot_opts on_progress: entries and
 * bytes of work whose total is not known (@userdata: a struct cli_progress)
 */
void cli_progress_copy(const struct fvm_progress *pr, void *userdata)
{
	cli_progress_update(userdata, "entries", pr->entries_done, 0, pr->bytes_done, 0);
}

/**
 * cli_progress_end() - erase the line, if one was drawn
 * @p: the line
 */
void cli_progress_end(struct cli_progress *p)
{
	if (p->shown)
		fputs("\r\033[K", stderr);
	p->shown = false;
}
