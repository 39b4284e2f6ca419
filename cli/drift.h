/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* drift.h - how far the host drifted under a VM (drift.c). */
#ifndef FVM_CLI_DRIFT_H
#define FVM_CLI_DRIFT_H

#include <stdbool.h>
#include <stddef.h>

#include "common.h"

size_t cli_drift(struct fvm_vm *vm, bool *ret_partial);
void cli_drift_note(struct fvm_vm *vm);

#endif
