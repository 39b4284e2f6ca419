/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* listing.h - commands that show something per VM (ps, stats). */
#ifndef FVM_CLI_LISTING_H
#define FVM_CLI_LISTING_H

#include <json-c/json.h>

#include "common.h"

typedef int (*show_fn)(struct fvm_store *s, const char *name, json_object *arr);

int cli_list_vms(int argc, char **argv, const char *cmd, const char *usage, const char *header,
		 show_fn show);

#endif
