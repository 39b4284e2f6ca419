// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * drift.c - the host drifting under a long-lived VM: how many of the VM's
 * changes are conflicts (the host changed the path after the VM copied
 * it, so the VM sees its stale copy: a dpkg status that hides packages
 * the host installed since). Said by fvm run and fvm ls; fvm diff
 * --conflicts lists them. The count walks the VM's layers (as fvm diff),
 * so it is bounded: it stops at DRIFT_WALK_MAX changes.
 */
#include <stdio.h>

#include "drift.h"

#define DRIFT_WALK_MAX 100000

struct drift {
	size_t seen, conflicts;
};

static int count(const struct fvm_change *c, void *ud)
{
	struct drift *d = ud;

	d->conflicts += c->conflict;
	return ++d->seen >= DRIFT_WALK_MAX;   /* non-zero: stop the walk */
}

/**
 * cli_drift() - how many changes of @vm are in conflict with the host
 * @vm:          an open VM
 * @ret_partial: set when the walk stopped at its bound (then "at least")
 *
 * Return: the count (0 when the VM's layers cannot be read).
 */
size_t cli_drift(struct fvm_vm *vm, bool *ret_partial)
{
	struct drift d = { 0 };
	int r = fvm_vm_diff(vm, NULL, count, &d, NULL);

	*ret_partial = r > 0;
	return r < 0 ? 0 : d.conflicts;
}

/* "fvm: note: ..." on stderr when @vm has drifted; nothing otherwise. */
void cli_drift_note(struct fvm_vm *vm)
{
	bool partial;
	size_t n = cli_drift(vm, &partial);

	if (!n)
		return;
	fprintf(stderr, "fvm: note: %s%zu file%s VM '%s' copied %s changed on the host since (the VM sees its own copies): see 'fvm diff --conflicts %s'\n",
		partial ? "at least " : "", n, n == 1 ? "" : "s", fvm_vm_name(vm), n == 1 ? "has" : "have",
		fvm_vm_name(vm));
}
