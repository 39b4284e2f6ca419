// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * commit-journal.c - a commit's journal, STORE/vms/NAME/commit.journal:
 * written before the host is touched and again once every temporary is on
 * disk; read back by the next commit, which rolls a "prepared" one back
 * and a "ready" one forward (the theory is at the top of commit.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

/* The metadata a recovered OP_META applies: the plan's, not the layer's then. */
static void journal_meta(json_object *e, const struct statx *x)
{
	json_object *m = json_object_new_array();
	const long long v[] = { x->stx_mode, x->stx_uid, x->stx_gid, x->stx_atime.tv_sec, x->stx_atime.tv_nsec,
				x->stx_mtime.tv_sec, x->stx_mtime.tv_nsec };

	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		json_object_array_add(m, json_object_new_int64(v[i]));
	json_object_object_add(e, "meta", m);
}

static bool journal_meta_load(json_object *e, struct statx *x)
{
	json_object *m;
	long long v[7];

	if (!json_object_object_get_ex(e, "meta", &m) || !json_object_is_type(m, json_type_array) ||
	    json_object_array_length(m) != ARRAY_SIZE(v))
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(v); i++)
		v[i] = json_object_get_int64(json_object_array_get_idx(m, i));
	memset(x, 0, sizeof(*x));
	x->stx_mode = (uint16_t)v[0];
	x->stx_uid = (uint32_t)v[1];
	x->stx_gid = (uint32_t)v[2];
	x->stx_atime.tv_sec = v[3];
	x->stx_atime.tv_nsec = (uint32_t)v[4];
	x->stx_mtime.tv_sec = v[5];
	x->stx_mtime.tv_nsec = (uint32_t)v[6];
	return true;
}

int journal_write(struct commit *c, const char *phase)
{
	json_object *o = json_object_new_object(), *arr = json_object_new_array();
	const char *txt;
	int r;

	json_object_object_add(o, "id", json_object_new_string(c->id));
	json_object_object_add(o, "phase", json_object_new_string(phase));
	json_object_object_add(o, "ops", arr);
	for (size_t i = 0; i < c->nops; i++) {
		json_object *e = json_object_new_object();
		char k[2] = { c->ops[i].kind, 0 };

		json_object_object_add(e, "k", json_object_new_string(k));
		json_object_object_add(e, "mount", json_object_new_string(c->cs.layers[c->ops[i].layer].mount));
		json_object_object_add(e, "rel", json_object_new_string(c->ops[i].rel));
		json_object_object_add(e, "tmp", json_object_new_string(c->ops[i].tmp));
		json_object_object_add(e, "ino", json_object_new_int64((int64_t)c->ops[i].ino));
		json_object_object_add(e, "x", json_object_new_boolean(c->ops[i].exchange));
		json_object_object_add(e, "hino", json_object_new_int64((int64_t)c->ops[i].host_ino));
		if (c->ops[i].have_meta)
			journal_meta(e, &c->ops[i].meta);
		json_object_array_add(arr, e);
	}
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_fileat_atomic(c->vm->dirfd, "commit.journal", txt, strlen(txt), 0600, true);
	json_object_put(o);
	if (r == 0) {
		_cleanup_close_ int d = fcntl(c->vm->dirfd, F_DUPFD_CLOEXEC, 3);

		fsync(d);   /* the rename of the journal itself */
	}
	return r;
}

/* The journal, and the temporaries of journal writes cut short (under the lock). */
void journal_remove(struct fvm_vm *vm)
{
	char **names = NULL;
	size_t n = 0;

	unlinkat(vm->dirfd, "commit.journal", 0);
	if (list_dir(vm->dirfd, &names, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (!strncmp(names[i], ".commit.journal.tmp.", 20))
				unlinkat(vm->dirfd, names[i], 0);
	fvm_strv_free(names);
}

/* ---- recovery ----------------------------------------------------------- */

static size_t layer_index(struct commit *c, const char *mount)
{
	for (size_t i = 0; i < c->cs.nlayers; i++)
		if (!strcmp(c->cs.layers[i].mount, mount))
			return i;
	return (size_t)-1;
}

/* Is ".." a component of @rel? ("a..b" is a fine name) */
static bool has_dotdot(const char *rel)
{
	size_t n = strlen(rel);

	return !strcmp(rel, "..") || !strncmp(rel, "../", 3) || strstr(rel, "/../") ||
	       (n >= 3 && !strcmp(rel + n - 3, "/.."));
}

/* Is @v a JSON string? (json-c reads a missing value as NULL) */
static bool is_str(json_object *v)
{
	return v && json_object_is_type(v, json_type_string);
}

/*
 * One entry of a journal's "ops" into @op: 1 when it is to be applied, 0
 * when it is left out (a layer this VM no longer has; a name that is not
 * a clean relative path, or a temporary that is not a plain name: our own
 * journal, but bounded all the same; a metadata change without the
 * plan's metadata), -EBADMSG when the entry is not one fvm writes (a key
 * missing or of the wrong type, an unknown kind): the journal is corrupt.
 */
static int journal_op_parse(struct commit *c, json_object *e, struct op *op)
{
	json_object *k, *m, *rel, *tmp, *ino, *x, *hino = NULL;
	const char *ks, *rs;
	size_t li;

	if (!json_object_is_type(e, json_type_object) ||
	    !json_object_object_get_ex(e, "k", &k) || !json_object_object_get_ex(e, "mount", &m) ||
	    !json_object_object_get_ex(e, "rel", &rel) || !json_object_object_get_ex(e, "tmp", &tmp) ||
	    !json_object_object_get_ex(e, "ino", &ino) || !json_object_object_get_ex(e, "x", &x) ||
	    !is_str(k) || !is_str(m) || !is_str(rel) || !is_str(tmp) ||
	    !json_object_is_type(ino, json_type_int) || !json_object_is_type(x, json_type_boolean) ||
	    (json_object_object_get_ex(e, "hino", &hino) && !json_object_is_type(hino, json_type_int)))
		return -EBADMSG;
	ks = json_object_get_string(k);
	if (strlen(ks) != 1 || !strchr((char[]){ OP_FILE, OP_NEWDIR, OP_DELETE, OP_META, 0 }, ks[0]) ||
	    (size_t)json_object_get_string_len(tmp) >= sizeof(op->tmp))
		return -EBADMSG;
	li = layer_index(c, json_object_get_string(m));
	if (li == (size_t)-1)
		return 0;
	rs = json_object_get_string(rel);
	memset(op, 0, sizeof(*op));
	op->kind = ks[0];
	op->layer = li;
	snprintf(op->tmp, sizeof(op->tmp), "%s", json_object_get_string(tmp));
	op->ino = (unsigned long long)json_object_get_int64(ino);
	op->exchange = json_object_get_boolean(x);
	if (hino)
		op->host_ino = (unsigned long long)json_object_get_int64(hino);
	op->have_meta = op->kind == OP_META && journal_meta_load(e, &op->meta);
	if (rs[0] == '/' || has_dotdot(rs) || strchr(op->tmp, '/') ||
	    (!op->tmp[0] && op->kind != OP_META) || (op->kind == OP_META && !op->have_meta))
		return 0;
	op->rel = strdup(rs);
	return op->rel ? 1 : -ENOMEM;
}

/**
 * journal_parse() - the journal text @buf into c->ops (for the layers in
 * c->cs), *@ready set when its phase is "ready" (roll forward; any other
 * phase rolls back). Return: 0, -EBADMSG when it is not a journal fvm
 * writes (not JSON, truncated, a key missing or of the wrong type), or
 * -ENOMEM; on error c->ops holds what was read so far (commit_ops_free()).
 */
int journal_parse(struct commit *c, const char *buf, bool *ready)
{
	json_object *o = json_tokener_parse(buf), *ops, *ph;
	int r = 0;

	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "ops", &ops) || !json_object_is_type(ops, json_type_array) ||
	    !json_object_object_get_ex(o, "phase", &ph) || !is_str(ph)) {
		if (o)
			json_object_put(o);
		return -EBADMSG;
	}
	*ready = !strcmp(json_object_get_string(ph), "ready");
	for (size_t i = 0; r >= 0 && i < json_object_array_length(ops); i++) {
		struct op op;

		if (c->nops % 256 == 0) {
			struct op *nv = realloc(c->ops, (c->nops + 256) * sizeof(*nv));

			if (!nv) {
				r = -ENOMEM;
				break;
			}
			c->ops = nv;
		}
		r = journal_op_parse(c, json_object_array_get_idx(ops, i), &op);
		if (r > 0)
			c->ops[c->nops++] = op;
	}
	json_object_put(o);
	return r < 0 ? r : 0;
}

/* Read the journal a commit that did not finish left into c->ops. */
int journal_load(struct commit *c, bool *ready)
{
	_cleanup_free_ char *buf = NULL;
	int r = read_small_fileat(c->vm->dirfd, "commit.journal", &buf, NULL);

	if (r == -EFBIG) {
		/* bigger than the bound for small files: read it anyway, it is ours */
		_cleanup_close_ int fd = openat(c->vm->dirfd, "commit.journal", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		struct stat st;

		if (fd < 0 || fstat(fd, &st) < 0 || st.st_size > (1 << 30) || !(buf = malloc((size_t)st.st_size + 1)))
			return -EIO;
		if (read_all(fd, buf, (size_t)st.st_size) != st.st_size)
			return -EIO;
		buf[st.st_size] = '\0';
		r = 0;
	}
	if (r < 0)
		return r;
	return journal_parse(c, buf, ready);
}

void commit_ops_free(struct commit *c)
{
	for (size_t i = 0; i < c->nops; i++)
		free(c->ops[i].rel);
	free(c->ops);
	c->ops = NULL;
	c->nops = 0;
	for (size_t i = 0; i < c->nlinks; i++)
		free(c->links[i].rel);
	free(c->links);
	c->links = NULL;
	c->nlinks = 0;
}

/* Finish (roll forward) or undo (roll back) a commit that was cut short. */
int commit_recover(struct commit *c)
{
	bool ready = false;
	int r;

	if (faccessat(c->vm->dirfd, "commit.journal", F_OK, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	r = journal_load(c, &ready);
	if (r < 0) {
		commit_ops_free(c);
		return fvm_errf(c->err, r, "VM '%s': the journal of an interrupted commit (%s/commit.journal) cannot be read: %s; "
				"check the host paths it names, then move it away",
				c->vm->cfg.name, c->vm->dir, strerror(-r));
	}
	if (ready)
		r = commit_apply_all(c);
	else if (!commit_rollback(c))
		r = fvm_errf(c->err, -EAGAIN, "VM '%s': an interrupted commit left temporaries that cannot be reached now: run 'fvm commit %s' again",
			     c->vm->cfg.name, c->vm->cfg.name);
	if (r == 0)
		journal_remove(c->vm);
	commit_ops_free(c);
	return r;
}
