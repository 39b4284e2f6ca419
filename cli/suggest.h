/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* suggest.h - "did you mean ...?" for mistyped VM names and commands (suggest.c). */
#ifndef FVM_CLI_SUGGEST_H
#define FVM_CLI_SUGGEST_H

#include <stdbool.h>
#include <stddef.h>

size_t cli_edit_distance(const char *a, const char *b);
bool cli_is_typo_of(const char *name, const char *known);
const char *cli_suggest(const char *name, const char *const *known, size_t n);

#endif
