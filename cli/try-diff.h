/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* try-diff.h - fvm try's picker: a change's content as a diff. */
#ifndef FVM_CLI_TRY_DIFF_H
#define FVM_CLI_TRY_DIFF_H

#include "common.h"

void try_show_diff(struct fvm_vm *vm, const char *path);

#endif
