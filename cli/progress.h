/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* progress.h - one progress line on stderr for long work (progress.c). */
#ifndef FVM_CLI_PROGRESS_H
#define FVM_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fvm.h"

struct cli_progress {
	const char *what;        /* "committing" */
	bool on, color, shown;
	struct timespec start, last;
};

void cli_progress_init(struct cli_progress *p, const char *what);
void cli_progress_update(struct cli_progress *p, const char *unit, size_t done, size_t total,
			 uint64_t bytes, uint64_t bytes_total);
void cli_progress_copy(const struct fvm_progress *pr, void *userdata);
void cli_progress_end(struct cli_progress *p);

#endif
