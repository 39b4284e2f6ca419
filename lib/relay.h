/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* relay.h - the caller's terminal relayed to a VM's program through pipes. */
#ifndef FVM_RELAY_H
#define FVM_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define RELAY_BUF 16384

/* one direction: fvm copies from @from to @to */
struct relay_chan {
	int from, to;
	bool to_vm;              /* the caller's stdin into the program's pipe */
	size_t len, off;         /* to_vm: bytes read from the caller, not yet written */
	char buf[RELAY_BUF];
};

/**
 * struct relay - stdio of one program in a VM
 * @child: what the program gets as fd 0, 1, 2: a pipe end, or -1 for
 *         fvm's own (not a terminal: passed as it is)
 * @ch:    fvm's side of each pipe
 * @nch:   pipes in use
 */
struct relay {
	int child[3];
	struct relay_chan ch[3];
	size_t nch;
};

#define RELAY_INIT { .child = { -1, -1, -1 } }

int relay_setup(struct relay *r, bool with_stdin);
int relay_child(const struct relay *r);
void relay_started(struct relay *r);
void relay_run(struct relay *r, int child_pidfd, pid_t child, int sfd);
void relay_release(struct relay *r);

#endif
