/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* changes-print.h - showing changes, shared by diff, commit and try. */
#ifndef FVM_CLI_CHANGES_PRINT_H
#define FVM_CLI_CHANGES_PRINT_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "common.h"

char change_letter(const struct fvm_change *c);
const char *change_kind_name(const struct fvm_change *c);
void print_change(FILE *f, const struct fvm_change *c);
json_object *change_json(const struct fvm_change *c);
char **abs_paths(int argc, char **argv, int first, bool *ret_err);
bool ask_yes(const char *question);
int strv_add(char ***v, size_t *n, const char *s);

#endif
