/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* service.h - a VM's service (service.c) and its log (log.c). */
#ifndef FVM_SERVICE_H
#define FVM_SERVICE_H

#include <json-c/json.h>

#include "fvm-internal.h"

int log_pump(int vmdirfd, int in);
json_object *service_json(struct fvm_vm *vm);

#endif
