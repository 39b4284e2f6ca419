/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * common.h - what every fvm subcommand shares: exit statuses, error
 * printing, opening the store, usage text.
 */
#ifndef FVM_CLI_COMMON_H
#define FVM_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "fvm.h"

#define EXIT_FVM 125        /* fvm itself failed */
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

int cli_fail(const struct fvm_error *e);
/* escape.c: every string a VM controls goes through these before a terminal */
void cli_put_escaped(FILE *f, const char *s);
char *cli_escape(const char *s, char *buf, size_t len);
int cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct fvm_store *cli_store(void);
struct fvm_vm *cli_open_vm(struct fvm_store *s, const char *name);
const char *cli_vm_typo(struct fvm_store *s, const char *name, char *buf, size_t len);
int cli_no_vm(struct fvm_store *s, const char *name);
bool cli_want_help(int argc, char **argv);
int cli_help(const char *usage);
void cli_size(uint64_t bytes, bool iec, char *buf, size_t len);

int cmd_create(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_discard(int argc, char **argv);
int cmd_try(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_oci(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_snapshots(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_clone(int argc, char **argv);
int cmd_rename(int argc, char **argv);
int commit_paths(struct fvm_vm *vm, char **paths, const struct fvm_commit_opts *base);
struct json_object;
int commit_json(struct fvm_vm *vm, char **paths, const struct fvm_commit_opts *base, struct json_object **ret);

void cli_rootless_note(const struct fvm_store *s);
void cli_rootless_limits_note(const struct fvm_store *s);
int cli_bad_option(const char *cmd, int c, char **argv);
int cli_each_vm(int argc, char **argv, int first,
		int (*op)(struct fvm_vm *vm, void *ctx, struct fvm_error *e), void *ctx);
void cli_tmp_name(char *buf, size_t len);
int parse_hardening(int c, const char *arg, struct fvm_vm_opts *o);
int parse_net(const char *s, enum fvm_net *ret);

#endif
