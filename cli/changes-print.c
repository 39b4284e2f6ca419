// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * changes-print.c - how changes look on the terminal and in JSON, shared
 * by diff, commit --dry-run and try; and turning path arguments into the
 * absolute paths the library wants.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "changes-print.h"

static bool use_color(void)
{
	const char *nc = getenv("NO_COLOR");

	return isatty(1) && !(nc && *nc);
}

char change_letter(const struct fvm_change *c)
{
	switch (c->kind) {
	case FVM_CHANGE_ADDED: return 'A';
	case FVM_CHANGE_MODIFIED: return 'M';
	case FVM_CHANGE_METADATA: return 'm';
	case FVM_CHANGE_DELETED: return 'D';
	case FVM_CHANGE_REPLACED: return 'R';
	default: return '?';
	}
}

const char *change_kind_name(const struct fvm_change *c)
{
	static const char *const names[] = { "added", "modified", "metadata", "deleted", "replaced" };

	return (unsigned)c->kind < 5 ? names[c->kind] : "unknown";
}

/* One line: status letter, '!' on conflict, path, what else is worth saying.
 * Names are the VM's: escaped, so that none can forge a line or a colour. */
void print_change(FILE *f, const struct fvm_change *c)
{
	static const char *const col[] = { "\033[32m", "\033[33m", "\033[36m", "\033[31m", "\033[35m" };
	bool color = f == stdout && use_color();

	fprintf(f, "%s%c%c%s ", color ? col[c->kind % 5] : "", change_letter(c),
		c->conflict ? '!' : ' ', color ? "\033[0m" : "");
	cli_put_escaped(f, c->path);
	if (c->type == 'd')
		fputc('/', f);
	if (c->type == 'l' && c->link_target) {
		fputs(" -> ", f);
		cli_put_escaped(f, c->link_target);
	}
	if (c->type == 'p' || c->type == 's' || c->type == 'c' || c->type == 'b')
		fprintf(f, " (%s)", c->type == 'p' ? "fifo" : c->type == 's' ? "socket" : "device");
	if (c->kind == FVM_CHANGE_METADATA || (c->kind == FVM_CHANGE_REPLACED && c->type == 'd')) {
		if (c->mode_changed)
			fprintf(f, "  mode %04o", (unsigned)c->mode);
		if (c->owner_changed)
			fprintf(f, "  owner %u:%u", (unsigned)c->uid, (unsigned)c->gid);
	}
	if (c->mode & (S_ISUID | S_ISGID) && c->type == 'f')
		fputs("  set-id", f);
	if (c->conflict)
		fprintf(f, "  %sconflict: %s%s", color ? "\033[1;31m" : "", c->conflict_why,
			color ? "\033[0m" : "");
	fputc('\n', f);
}

json_object *change_json(const struct fvm_change *c)
{
	json_object *o = json_object_new_object();
	char type[2] = { c->type, 0 }, mode[8];

	snprintf(mode, sizeof(mode), "%04o", (unsigned)c->mode);
	json_object_object_add(o, "path", json_object_new_string(c->path));
	json_object_object_add(o, "kind", json_object_new_string(change_kind_name(c)));
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)c->size));
	if (c->kind != FVM_CHANGE_DELETED) {
		json_object_object_add(o, "mode", json_object_new_string(mode));
		json_object_object_add(o, "uid", json_object_new_int64(c->uid));
		json_object_object_add(o, "gid", json_object_new_int64(c->gid));
	}
	json_object_object_add(o, "mode_changed", json_object_new_boolean(c->mode_changed));
	json_object_object_add(o, "owner_changed", json_object_new_boolean(c->owner_changed));
	if (c->link_target)
		json_object_object_add(o, "link_target", json_object_new_string(c->link_target));
	json_object_object_add(o, "conflict", json_object_new_boolean(c->conflict));
	if (c->conflict)
		json_object_object_add(o, "conflict_why", json_object_new_string(c->conflict_why));
	return o;
}

/* Drop "." components, repeated and trailing slashes ("/a/./b//" -> "/a/b");
 * ".." stays, for the library to refuse. */
static void normalize(char *p)
{
	char *r = p, *w = p;

	while (*r) {
		if (r[0] == '/' && (r[1] == '/' || (r[1] == '.' && (r[2] == '/' || !r[2])))) {
			r += r[1] == '/' ? 1 : 2;
			continue;
		}
		*w++ = *r++;
	}
	*w = '\0';
	while (w - p > 1 && w[-1] == '/')
		*--w = '\0';
	if (!*p)
		strcpy(p, "/");
}

/**
 * abs_paths() - argv[first..argc) as absolute paths (relative ones are
 * taken from the current directory), trailing slashes dropped.
 * Return: a NULL-terminated vector to free with fvm_strv_free, NULL when
 * there are no paths (meaning: everything) or on error (*ret_err set).
 */
char **abs_paths(int argc, char **argv, int first, bool *ret_err)
{
	char **v;
	char cwd[PATH_MAX];

	*ret_err = false;
	if (first >= argc)
		return NULL;
	v = calloc((size_t)(argc - first + 1), sizeof(char *));
	if (!v || !getcwd(cwd, sizeof(cwd))) {
		free(v);
		*ret_err = true;
		return NULL;
	}
	for (int i = first; i < argc; i++) {
		char *p;

		if (argv[i][0] == '/')
			p = strdup(argv[i]);
		else if (asprintf(&p, "%s/%s", strcmp(cwd, "/") ? cwd : "", argv[i]) < 0)
			p = NULL;
		if (!p) {
			fvm_strv_free(v);
			*ret_err = true;
			return NULL;
		}
		normalize(p);
		v[i - first] = p;
	}
	return v;
}

bool ask_yes(const char *question)
{
	char line[32];

	fprintf(stderr, "%s [y/N] ", question);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	return line[0] == 'y' || line[0] == 'Y';
}

/* Append a copy of @s to the NULL-terminated vector *@v of *@n strings. */
int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -1;
	*v = nv;
	nv[*n] = strdup(s);
	if (!nv[*n])
		return -1;
	nv[++*n] = NULL;
	return 0;
}
