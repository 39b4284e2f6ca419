// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * commit-plan.c - a commit's plan: one operation per change (a file to
 * make, a new directory, a deletion, a metadata change), each change
 * checked against the refusal rules and the conflicts first, and the
 * space it needs on each host file system.
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

static int add_op(struct commit *c, char kind, const struct change *ch, bool exchange)
{
	struct op *nv, *op;

	if (c->nops % 256 == 0) {
		nv = realloc(c->ops, (c->nops + 256) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->ops = nv;
	}
	op = &c->ops[c->nops];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	op->layer = ch->layer;
	op->rel = strdup(ch->rel);
	if (!op->rel)
		return -ENOMEM;
	op->exchange = exchange;
	op->host_ino = ch->host_exists ? ch->host.stx_ino : 0;
	op->ch = ch;
	op->nplanned = 1;
	if (kind == OP_META) {
		op->meta = ch->up;
		op->have_meta = true;
	}
	if (kind != OP_META)   /* a temporary, or where a deletion is moved aside */
		snprintf(op->tmp, sizeof(op->tmp), ".fvm-commit-%s-%zu", c->id, c->nops);
	c->nops++;
	return 0;
}

/*
 * Is the VM's entry, as the plan saw it (@ch->up: the statx of the walk,
 * which is what commit will make, see commit_make_entry()), one that may not
 * reach the host?
 */
static int check_entry(struct commit *c, const struct change *ch)
{
	_cleanup_close_ int up = -1, fd = -1;
	const char *why;

	if (ch->too_long)   /* the reason first: the path may fill the message */
		return fvm_errf(c->err, -EPERM,
				"VM '%s': not committed: a directory %s ('fvm discard %s PATH'); nothing was changed: %.300s%s",
				c->vm->cfg.name, ch->pub.conflict_why, c->vm->cfg.name, ch->path,
				strlen(ch->path) > 300 ? "..." : "");
	if (commit_refused(c, &ch->up, &why))
		return commit_refuse(c, ch->path, why);
	if (!S_ISREG(ch->up.stx_mode) || c->o->allow_setid)
		return 0;
	/* capabilities, for the plan's message (make_entry checks them again on its fd) */
	up = parent_fd(c->cs.layers[ch->layer].upper_fd, ch->rel);
	fd = up < 0 ? -1 : open_entry(up, base_of(ch->rel), 0, NULL);   /* O_PATH is enough for xattrs */
	if (fd >= 0 && commit_refused_caps(c, fd, &why))
		return commit_refuse(c, ch->path, why);
	return 0;
}

/* Turn the changes into operations; refuse conflicts and forbidden entries. */
int commit_plan(struct commit *c)
{
	const char *newdir = NULL;
	size_t conflicts = 0;
	const char *first = NULL;

	for (size_t i = 0; i < c->cs.n; i++) {
		struct change *ch = &c->cs.v[i];
		bool dir = ch->pub.type == 'd';
		int r = 0;

		if (c->o->plan && c->o->plan(&ch->pub, c->o->userdata))
			return -ECANCELED;
		/* a new directory is copied whole: its entries are part of it,
		 * each checked here as the plan saw it */
		if (newdir && path_has_prefix(ch->path, newdir)) {
			if (ch->pub.kind == FVM_CHANGE_DELETED)
				continue;   /* nothing to make (a whiteout make_tree skips) */
			c->ops[c->nops - 1].nplanned++;
			r = check_entry(c, ch);
			if (r < 0)
				return r;
			continue;
		}
		newdir = NULL;
		if (ch->pub.conflict && !c->o->force) {
			conflicts++;
			if (!first)
				first = ch->path;
		}
		/* nothing may remove or replace a directory that holds a store */
		if (store_below(c->vm, ch->path) &&
		    (ch->pub.kind == FVM_CHANGE_DELETED || (ch->pub.kind == FVM_CHANGE_REPLACED && !dir)))
			return commit_refuse(c, ch->path, "holds what fvm hides from the VM (its store, or a --hide path), which a commit never removes");
		if (ch->pub.kind != FVM_CHANGE_DELETED) {
			r = check_entry(c, ch);
			if (r < 0)
				return r;
		}
		switch (ch->pub.kind) {
		case FVM_CHANGE_DELETED:
			r = add_op(c, OP_DELETE, ch, false);
			break;
		case FVM_CHANGE_METADATA:
			r = add_op(c, OP_META, ch, false);
			break;
		case FVM_CHANGE_ADDED:
		case FVM_CHANGE_MODIFIED:
		case FVM_CHANGE_REPLACED:
			if (dir && ch->host_exists && S_ISDIR(ch->host.stx_mode)) {
				/* opaque: entries are handled one by one; the dir itself is
				 * metadata, and must leave the layer once they are done */
				r = add_op(c, OP_META, ch, false);
				if (r == 0)
					c->ops[c->nops - 1].opaque = ch->opaque;
			} else if (dir) {
				r = add_op(c, OP_NEWDIR, ch, ch->host_exists);
				if (r == 0)   /* overlayfs made it opaque over the host's old entry */
					c->ops[c->nops - 1].opaque = true;
				newdir = ch->path;
			} else {
				r = add_op(c, OP_FILE, ch, ch->host_exists && S_ISDIR(ch->host.stx_mode));
			}
			break;
		default:
			break;
		}
		if (r < 0)
			return fvm_errf(c->err, r, "out of memory");
	}
	if (conflicts && !c->o->dry_run)
		return fvm_errf(c->err, -EBUSY,
				"VM '%s': %zu change%s in conflict with the host (first: %s); nothing was committed. "
				"See 'fvm diff %s', commit other paths, or use --force",
				c->vm->cfg.name, conflicts, conflicts == 1 ? " is" : "s are", first, c->vm->cfg.name);
	return 0;
}

/* Refuse before writing anything when a host file system lacks the space. */
int commit_check_space(struct commit *c)
{
	for (size_t l = 0; l < c->cs.nlayers; l++) {
		uint64_t need = 0;
		struct statvfs sv;

		for (size_t i = 0; i < c->nops; i++) {
			const struct op *op = &c->ops[i];

			if (op->layer != l || (op->kind != OP_FILE && op->kind != OP_NEWDIR))
				continue;
			if (op->kind == OP_NEWDIR) {
				_cleanup_close_ int p = parent_fd(c->cs.layers[l].upper_fd, op->rel);

				need += p >= 0 ? tree_size_at(p, base_of(op->rel)) : 0;
			} else {
				need += op->ch->up.stx_size;   /* the plan's size: never a path looked up again */
			}
		}
		c->pr.bytes_total += need;   /* for the progress, too */
		if (!need || c->cs.layers[l].host_fd < 0 || fstatvfs(c->cs.layers[l].host_fd, &sv) < 0)
			continue;
		if (need > (uint64_t)sv.f_bavail * sv.f_frsize) {
			char a[32], b[32];

			format_size(need, a, sizeof(a));
			format_size((uint64_t)sv.f_bavail * sv.f_frsize, b, sizeof(b));
			return fvm_errf(c->err, -ENOSPC,
					"VM '%s': committing needs %s on %s, which has %s free; nothing was committed",
					c->vm->cfg.name, a, c->cs.layers[l].mount, b);
		}
	}
	return 0;
}

/*
 * Refuse before writing anything (and in a dry run, as the real commit
 * would) a new entry whose parent directory the host lacks: its new
 * parent must be committed with it (then the entry is part of that
 * directory's tree, not an operation of its own).
 */
int commit_check_parents(struct commit *c)
{
	for (size_t i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];
		const struct layer_ref *l = &c->cs.layers[op->layer];
		_cleanup_close_ int hp = -1;

		if ((op->kind != OP_FILE && op->kind != OP_NEWDIR) || l->host_fd < 0)
			continue;
		hp = parent_fd(l->host_fd, op->rel);
		if (hp < 0 && errno == ENOENT)
			return fvm_errf(c->err, -ENOENT,
					"VM '%s': the host has no directory for %s%s%s: commit its new parent directory with it; nothing was changed",
					c->vm->cfg.name, l->mount, strcmp(l->mount, "/") ? "/" : "", op->rel);
	}
	return 0;
}
