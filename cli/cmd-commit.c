// SPDX-License-Identifier: LGPL-2.1-or-later
/* cmd-commit.c - fvm commit and fvm discard: keep or drop a VM's changes. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "changes-print.h"
#include "progress.h"

static const char commit_usage[] =
	"Usage: fvm commit [OPTIONS] NAME [PATH...]\n"
	"\n"
	"Apply the VM's changes under each PATH (or all of them) to the host, then drop\n"
	"them from the VM, which then sees the host's new files. Safe against what the\n"
	"VM wrote: no symlink is followed, nothing leaves the mount a change belongs to,\n"
	"each file lands whole (temporary, sync, rename), and a commit that is cut short\n"
	"is finished by the next 'fvm commit'. Changes the host made since the VM took\n"
	"its copy are conflicts: nothing is committed unless --force. What was\n"
	"committed is listed on stdout (as 'fvm diff' shows it).\n"
	"\n"
	"Options:\n"
	"  -n, --dry-run       show the plan (as 'fvm diff') and run every check of\n"
	"                      the commit, change nothing; status 0: it would commit,\n"
	"                      1: it would be refused (and why)\n"
	"  -y, --yes           do not ask for confirmation (asked on a terminal when\n"
	"                      no PATH is given; without a terminal, refused)\n"
	"      --force         commit conflicting changes too\n"
	"      --allow-devices commit device nodes\n"
	"      --allow-setid   commit set-uid/set-gid files and file capabilities\n"
	"      --json          report in one JSON object on stdout: {vm, dry_run,\n"
	"                      result: committed|refused|failed|would-commit|\n"
	"                      would-refuse, error, conflicts, changes: [as\n"
	"                      fvm diff --json]}; same exit status\n"
	"  -h, --help          show this help\n"
	"See fvm-commit(1).\n";

static const char discard_usage[] =
	"Usage: fvm discard [-y] NAME [PATH...]\n"
	"\n"
	"Drop the VM's changes under each PATH (or all of them, after asking on a\n"
	"terminal; refused without a terminal unless -y): the VM sees the host's files\n"
	"there again. The host is not touched. What was dropped is listed.\n"
	"\n"
	"Options:\n"
	"  -y, --yes    do not ask for confirmation\n"
	"  -h, --help   show this help\n"
	"See fvm-discard(1).\n";

struct progress_ctx {
	struct cli_progress line;
	size_t planned, conflicts;
	bool dry;
	json_object *json;  /* --json: the plan's changes, instead of lines */
	FILE *done;         /* the plan's lines, printed once the commit succeeded */
	char *done_buf;
	size_t done_len;
};

static int on_plan(const struct fvm_change *c, void *ud)
{
	struct progress_ctx *p = ud;

	p->planned++;
	p->conflicts += c->conflict;
	if (p->json)
		json_object_array_add(p->json, change_json(c));
	else
		print_change(p->dry ? stdout : p->done, c);
	if (!p->dry)
		cli_progress_update(&p->line, "changes read", p->planned, 0, 0, 0);
	return 0;
}

/* The progress line on a terminal: it moves with every 32 entries made, and with the bytes. */
static void on_progress(const struct fvm_progress *pr, void *ud)
{
	struct progress_ctx *p = ud;

	cli_progress_update(&p->line, pr->applying ? "changes in place" : "entries made", pr->entries_done,
			    pr->entries_total, pr->bytes_done, pr->bytes_total);
}

static int count_change(const struct fvm_change *c, void *ud)
{
	(*(size_t *)ud)++;
	return 0;
}

/* What a dry run says; its status: 0 would commit, 1 would be refused. */
static int dry_result(const struct progress_ctx *p, const struct fvm_commit_opts *o, int r,
		      const struct fvm_error *e)
{
	if (r == -EBUSY || r == -EPERM || r == -ENOENT || r == -ENOSPC) {
		cli_fail(e);
		printf("%zu change%s planned: the commit would be refused (why: on stderr)\n",
		       p->planned, p->planned == 1 ? "" : "s");
		return 1;
	}
	if (r < 0)
		return cli_fail(e);
	if (p->conflicts && !o->force) {
		printf("%zu change%s, %zu in conflict: the commit would be refused (see --force)\n",
		       p->planned, p->planned == 1 ? "" : "s", p->conflicts);
		return 1;
	}
	printf("%zu change%s would be committed\n", p->planned, p->planned == 1 ? "" : "s");
	return 0;
}

/* The end of a commit or discard @r: on success what was @done (listed
 * during the walk) on stdout and a line on stderr; the error otherwise. */
static int listed(struct progress_ctx *p, struct fvm_vm *vm, const char *done, int r,
		  const struct fvm_error *e)
{
	fclose(p->done);
	if (r == 0) {
		fwrite(p->done_buf, 1, p->done_len, stdout);
		fprintf(stderr, "fvm: %s %zu change%s of VM '%s'%s\n", done, p->planned,
			p->planned == 1 ? "" : "s", fvm_vm_name(vm), p->planned ? " (listed above)" : "");
	}
	free(p->done_buf);
	return r < 0 ? cli_fail(e) : 0;
}

/**
 * commit_json() - commit (or with base->dry_run, plan) like commit_paths(),
 * reporting in one JSON object instead of lines
 * @ret: {vm, dry_run, result ("committed", "would-commit", "would-refuse",
 *       "refused", "failed"), error (string or null), conflicts, changes:
 *       [as fvm diff --json]}; the caller puts it
 *
 * Return: the exit status: 0, 1 (a dry run that would be refused), 125.
 */
int commit_json(struct fvm_vm *vm, char **paths, const struct fvm_commit_opts *base, json_object **ret)
{
	struct fvm_commit_opts o = *base;
	struct progress_ctx p = { .dry = true, .json = json_object_new_array() };
	struct fvm_error e = { 0 };
	json_object *obj = json_object_new_object();
	const char *result;
	int r, status;

	cli_progress_init(&p.line, "committing");
	o.paths = paths;
	o.plan = on_plan;
	o.on_progress = on_progress;
	o.userdata = &p;
	r = fvm_vm_commit(vm, &o, &e);
	cli_progress_end(&p.line);
	if (r < 0)
		cli_fail(&e);
	if (r == 0 && o.dry_run && p.conflicts && !o.force) {
		r = -EBUSY;
		snprintf(e.msg, sizeof(e.msg), "%zu change%s in conflict with the host (see --force)", p.conflicts,
			 p.conflicts == 1 ? " is" : "s are");
	}
	bool refusal = r == -EBUSY || r == -EPERM || r == -ENOENT || r == -ENOSPC;

	result = r == 0 ? (o.dry_run ? "would-commit" : "committed") :
		 refusal ? (o.dry_run ? "would-refuse" : "refused") : "failed";
	status = r == 0 ? 0 : o.dry_run && refusal ? 1 : EXIT_FVM;
	json_object_object_add(obj, "vm", json_object_new_string(fvm_vm_name(vm)));
	json_object_object_add(obj, "dry_run", json_object_new_boolean(o.dry_run));
	json_object_object_add(obj, "result", json_object_new_string(result));
	json_object_object_add(obj, "error", r < 0 ? json_object_new_string(e.msg[0] ? e.msg : strerror(-r)) : NULL);
	json_object_object_add(obj, "conflicts", json_object_new_int64((int64_t)p.conflicts));
	json_object_object_add(obj, "changes", p.json);
	*ret = obj;
	return status;
}

int commit_paths(struct fvm_vm *vm, char **paths, const struct fvm_commit_opts *base)
{
	struct fvm_commit_opts o = *base;
	struct progress_ctx p = { .dry = o.dry_run };
	struct fvm_error e = { 0 };
	int r;

	cli_progress_init(&p.line, "committing");
	if (!o.dry_run && !(p.done = open_memstream(&p.done_buf, &p.done_len)))
		return cli_errorf("out of memory");
	o.paths = paths;
	o.plan = on_plan;
	o.on_progress = on_progress;
	o.userdata = &p;
	r = fvm_vm_commit(vm, &o, &e);
	cli_progress_end(&p.line);
	if (o.dry_run)
		return dry_result(&p, &o, r, &e);
	return listed(&p, vm, "committed", r, &e);
}

/* discard: what is dropped, listed (as the VM had it) once it is gone */
static int discard_paths(struct fvm_vm *vm, char **paths)
{
	struct progress_ctx p = { 0 };
	struct fvm_error e = { 0 };
	int r;

	if (!(p.done = open_memstream(&p.done_buf, &p.done_len)))
		return cli_errorf("out of memory");
	cli_progress_init(&p.line, "discarding");
	r = fvm_vm_diff(vm, paths, on_plan, &p, &e);
	if (r == 0)
		r = fvm_vm_discard(vm, paths, &e);
	cli_progress_end(&p.line);
	return listed(&p, vm, "discarded", r, &e);
}

/* All changes, no -y: ask on a terminal, refuse without one (as apt does). Return: 0 to go on. */
static int confirm_all(struct fvm_vm *vm, const char *name, bool commit)
{
	struct fvm_error e = { 0 };
	char q[160];
	size_t n = 0;

	if (fvm_vm_diff(vm, NULL, count_change, &n, &e) < 0)
		return cli_fail(&e);
	if (n == 0)
		return 0;
	if (!isatty(0))
		return cli_errorf("not %s all %zu change%s of VM '%s' without confirmation, and stdin is not a terminal to ask on: "
				  "add -y, or name the PATHs (see 'fvm diff %s')",
				  commit ? "committing" : "discarding", n, n == 1 ? "" : "s", name, name);
	snprintf(q, sizeof(q), "%s all %zu change%s of VM '%s'%s?", commit ? "Commit" : "Discard", n,
		 n == 1 ? "" : "s", name, commit ? " to the host" : "");
	if (!ask_yes(q)) {
		fprintf(stderr, "fvm: nothing done\n");
		return 1;
	}
	return 0;
}

static int keep_or_drop(int argc, char **argv, bool commit)
{
	static const struct option lopts[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "force", no_argument, NULL, 'F' },
		{ "allow-devices", no_argument, NULL, 'D' },
		{ "allow-setid", no_argument, NULL, 'S' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *cmd = commit ? "commit" : "discard";
	struct fvm_commit_opts o = { 0 };
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	char **paths = NULL;
	bool yes = false, bad, json = false;
	int c, status = EXIT_FVM;

	while ((c = getopt_long(argc, argv, commit ? ":nyh" : ":yh", lopts, NULL)) != -1) {
		switch (c) {
		case 'y': yes = true; break;
		case 'h': return cli_help(commit ? commit_usage : discard_usage);
		case 'j':
			if (!commit)
				return cli_bad_option(cmd, '?', argv);
			json = true;
			break;
		case 'n':
		case 'F':
		case 'D':
		case 'S':
			if (!commit)
				return cli_bad_option(cmd, '?', argv);
			o.dry_run |= c == 'n';
			o.force |= c == 'F';
			o.allow_devices |= c == 'D';
			o.allow_setid |= c == 'S';
			break;
		default: return cli_bad_option(cmd, c, argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "no VM name given");
	paths = abs_paths(argc, argv, optind + 1, &bad);
	if (bad)
		return cli_errorf("out of memory");
	s = cli_store();
	vm = s ? cli_open_vm(s, argv[optind]) : NULL;
	if (!vm)
		goto out;
	if (!paths && !yes && !o.dry_run && (status = confirm_all(vm, argv[optind], commit)) != 0)
		goto out;
	if (commit && json) {
		json_object *obj = NULL;

		status = commit_json(vm, paths, &o, &obj);
		puts(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(obj);
	} else if (commit)
		status = commit_paths(vm, paths, &o);
	else
		status = discard_paths(vm, paths);
out:
	fvm_vm_free(vm);
	fvm_store_free(s);
	fvm_strv_free(paths);
	return status;
}

int cmd_commit(int argc, char **argv)
{
	return keep_or_drop(argc, argv, true);
}

int cmd_discard(int argc, char **argv)
{
	return keep_or_drop(argc, argv, false);
}
