/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* progress.h - one progress line on stderr, for export and import. */
#ifndef FVM_CLI_PROGRESS_H
#define FVM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct progress {
	const char *what;        /* "exporting", "importing" */
	bool on;                 /* stderr is a terminal, TERM is not dumb */
	bool shown;
	struct timespec start, last;
};

void progress_init(struct progress *p, const char *what);
void progress_show(struct progress *p, uint64_t bytes, uint64_t total, uint64_t items);
void progress_end(struct progress *p);

#endif
