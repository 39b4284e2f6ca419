// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * commit.c - applying a VM's changes to the host: the phases and the
 * public entry point. The plan is made in commit-plan.c, the entries on
 * the host in commit-entries.c, the journal in commit-journal.c, the record
 * of a running VM's commit in commit-running.c; discard is discard.c.
 *
 * Theory of operation. The layer was written by untrusted code, so:
 * host paths are opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS
 * | RESOLVE_NO_XDEV) from the root of the mount the change belongs to,
 * and every operation acts on the parent directory's fd (a directory
 * swapped for a symlink mid-commit makes the resolution fail, it never
 * redirects a write); layer entries are opened the same way; device
 * nodes, set-id bits and file capabilities are refused unless allowed;
 * conflicts (changes.c) are refused unless forced; all or nothing: one
 * refusal stops the commit before any host file is touched.
 *
 * What lands is what the plan checked, even while the VM runs and changes
 * its layer: the plan is each entry's statx from the walk of the layer
 * (changes.c), the refusals are checked on it, and phase A opens each
 * entry once (open_entry(): O_PATH, no symlink followed, type checked on
 * the fd, only a regular file reopened O_RDONLY|O_NONBLOCK), requires its
 * statx on that fd to be the planned one (inode, mode, owner, size, mtime,
 * ctime: a chmod moves the ctime), copies its content from that fd and
 * gives it the plan's owner, mode and times. An entry that moved, or one
 * in a new directory that the plan did not see, stops the commit in phase
 * A (nothing on the host changed yet). Metadata changes apply the plan's
 * metadata, recorded in the journal. Set-id bits never land on a regular
 * file without allow_setid, whatever the layer says.
 *
 * Each change lands atomically: a regular file, symlink or fifo is made
 * under a temporary name in its target directory, with its content,
 * owner (mapped back from the VM's uid range), mode, times and user
 * xattrs; a directory the host lacks is built whole under a temporary
 * name. Once every temporary is written, one syncfs() per host file
 * system makes them durable (not an fsync per file in series), then each
 * is renamed over its target (RENAME_EXCHANGE where the host has another
 * type there, the old entry then removed), deletions and metadata changes
 * are applied, the file systems are synced again, and the committed
 * entries leave the layer, so the VM then sees the host's (new) file.
 *
 * The journal STORE/vms/NAME/commit.journal makes this crash-safe. It is
 * written (atomically, synced) before the first temporary is made, with
 * phase "prepared" and the temporary names, and again once all of them
 * are on disk, with phase "ready" and their inode numbers. A commit that
 * finds a journal first finishes the earlier one: "prepared" is rolled
 * back (its temporaries deleted: the host was not changed yet);
 * "ready" is rolled forward (each temporary renamed unless the target
 * already is that inode, deletions and metadata re-applied, entries
 * dropped from the layer). A host file is therefore always either its
 * old or its new self, and a rerun leaves nothing behind.
 *
 * A running VM can be committed, and nothing it does is lost: its
 * committed entries stay in its layer (overlayfs keeps using what it has
 * looked up, so unlinking them under it would send later writes to
 * orphaned inodes). They are the host's new files byte for byte, so diff
 * does not show them; files open in the VM go on as they were. A change
 * the VM makes to such a file later shows as a conflict (the host's copy
 * is newer than the VM's, by the commit itself): commit it with --force.
 * Stopping the VM, then 'fvm discard' of those paths, lets it see the
 * host's files directly again.
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

const char *base_of(const char *rel)
{
	const char *s = strrchr(rel, '/');

	return s ? s + 1 : rel;
}

/* The directory holding @rel below @root, opened safely. */
int parent_fd(int root, const char *rel)
{
	char dir[PATH_MAX];
	const char *s = strrchr(rel, '/');

	if (!s)
		return fcntl(root, F_DUPFD_CLOEXEC, 3);
	snprintf(dir, sizeof(dir), "%.*s", (int)(s - rel), rel);
	return open_beneath_mount(root, dir, O_RDONLY | O_DIRECTORY);
}

int commit_refuse(struct commit *c, const char *path, const char *why)
{
	return fvm_errf(c->err, -EPERM, "VM '%s': not committed: %s %s; nothing was changed",
			c->vm->cfg.name, path, why);
}

int commit_fail(struct commit *c, int r, const char *what, const char *path)
{
	return fvm_errf(c->err, r, "VM '%s': commit stopped: %s %s: %s", c->vm->cfg.name, what,
			path, strerror(-r));
}


/* ---- the phases ------------------------------------------------------- */

static void progress(struct commit *c, size_t done, size_t total)
{
	if (c->o && c->o->progress && (done % 256 == 0 || done == total))
		c->o->progress(done, total, c->o->userdata);
}

/* A metadata change: is the layer's entry still the one the plan checked? */
static int verify_meta(struct commit *c, const struct op *op, const char *path)
{
	_cleanup_close_ int up = parent_fd(c->cs.layers[op->layer].upper_fd, op->rel), fd = -1;
	struct statx now;

	if (!op->ch)
		return 0;
	fd = up < 0 ? -ENOENT : open_entry(up, base_of(op->rel), op->ch->up.stx_mode & S_IFMT, &now);
	return fd >= 0 && commit_same_entry(&op->ch->up, &now) ? 0 : commit_moved(c, path);
}

/* One new entry (file or tree) of @op under its temporary name. */
static int prepare_one(struct commit *c, struct op *op, int hp, int up, const char *path)
{
	struct stat st;
	int r;

	c->made = 0;
	c->cur = op;
	c->cur_path = path;
	r = dw_push(&c->up, fcntl(up, F_DUPFD_CLOEXEC, 3));
	if (r == 0)
		r = dw_push(&c->out, fcntl(hp, F_DUPFD_CLOEXEC, 3));
	if (r < 0)
		r = commit_fail(c, r, "cannot open the layer's directory of", path);
	else
		r = commit_make_entry(c, base_of(op->rel), op->tmp, path, &op->ch->up);
	dw_free(&c->up);
	dw_free(&c->out);
	if (r < 0)
		return r;
	if (c->made != op->nplanned)   /* the VM removed some of it since the plan */
		return commit_moved(c, path);
	if (fstatat(hp, op->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return commit_fail(c, -errno, "cannot stat the temporary of", path);
	op->ino = st.st_ino;
	return 0;
}

/* Phase A: every new entry under its temporary name, every metadata change
 * checked again: all exactly as planned, or nothing. */
static int prepare(struct commit *c)
{
	for (size_t i = 0; i < c->nops; i++) {
		struct op *op = &c->ops[i];
		const struct layer_ref *l = &c->cs.layers[op->layer];
		_cleanup_close_ int hp = -1, up = -1;
		char path[PATH_MAX];
		int r;

		progress(c, i, 2 * c->nops);
		snprintf(path, sizeof(path), "%s%s%s", l->mount, strcmp(l->mount, "/") ? "/" : "", op->rel);
		if (op->kind == OP_META && (r = verify_meta(c, op, path)) < 0)
			return r;
		if (op->kind != OP_FILE && op->kind != OP_NEWDIR)
			continue;
		hp = l->host_fd >= 0 ? parent_fd(l->host_fd, op->rel) : -1;
		if (hp < 0 && errno == ENOENT)
			return fvm_errf(c->err, -ENOENT,
					"VM '%s': the host has no directory for %s: commit its new parent directory with it; nothing was changed",
					c->vm->cfg.name, path);
		if (hp < 0)
			return commit_fail(c, -errno, "cannot open (without following symlinks) the host directory of", path);
		up = parent_fd(l->upper_fd, op->rel);
		if (up < 0)
			return commit_moved(c, path);
		r = prepare_one(c, op, hp, up, path);
		if (r < 0)
			return r;
	}
	return 0;
}

static void sync_hosts(struct commit *c)
{
	for (size_t l = 0; l < c->cs.nlayers; l++)
		if (c->cs.layers[l].host_fd >= 0)
			syncfs(c->cs.layers[l].host_fd);
}

/*
 * Undo phase A: remove the temporaries (the host's files were not
 * touched). Return: false if some could not be reached (a directory of
 * the host was swapped meanwhile): then the journal stays, for the next
 * commit to try again.
 */
bool commit_rollback(struct commit *c)
{
	bool all = true;

	for (size_t i = 0; i < c->nops; i++) {
		const struct op *op = &c->ops[i];
		_cleanup_close_ int hp = -1;

		if (!op->tmp[0] || op->kind == OP_DELETE || c->cs.layers[op->layer].host_fd < 0)
			continue;
		hp = parent_fd(c->cs.layers[op->layer].host_fd, op->rel);
		if (hp >= 0)
			rm_rf_at(hp, op->tmp);
		else if (errno != ENOENT)
			all = false;
	}
	return all;
}

/* Host-side metadata of a kept entry: the layer's, as the plan checked it
 * (never a fresh look at the layer: the VM may have changed it since). */
static int apply_meta(struct commit *c, const struct op *op, int hp)
{
	struct stat st;

	if (!op->have_meta)
		return 0;
	if (fstatat(hp, base_of(op->rel), &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if ((st.st_mode & S_IFMT) != (op->meta.stx_mode & S_IFMT))
		return -ESTALE;   /* the host put another type there since */
	return commit_set_meta(c, hp, base_of(op->rel), &op->meta);
}

/*
 * Phase B for one operation: put it in place. Idempotent, so that a
 * crashed commit can be rolled forward: a target that already is the
 * temporary's inode is done.
 */
static int apply_one(struct commit *c, const struct op *op)
{
	const struct layer_ref *l = &c->cs.layers[op->layer];
	_cleanup_close_ int hp = l->host_fd >= 0 ? parent_fd(l->host_fd, op->rel) : -1;
	const char *name = base_of(op->rel);
	struct stat st;

	if (hp < 0)
		return -errno;
	switch (op->kind) {
	case OP_DELETE: {
		/*
		 * Move it aside first and check it is what the plan saw: a host
		 * that swapped another entry in since (say, a directory for a
		 * symlink) gets it back untouched, and the commit says so.
		 */
		const char *aside = op->tmp;

		if (fstatat(hp, name, &st, AT_SYMLINK_NOFOLLOW) < 0)   /* gone already (rerun) */
			return errno == ENOENT ? rm_rf_at(hp, aside) : -errno;
		if (renameat2(hp, name, hp, aside, RENAME_NOREPLACE) < 0)
			return -errno;
		if (fstatat(hp, aside, &st, AT_SYMLINK_NOFOLLOW) < 0 || (op->host_ino && st.st_ino != op->host_ino)) {
			renameat2(hp, aside, hp, name, RENAME_NOREPLACE);
			return -ESTALE;
		}
		return rm_rf_at(hp, aside);
	}
	case OP_META:
		return apply_meta(c, op, hp);
	default:
		break;
	}
	if (fstatat(hp, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == op->ino) {
		rm_rf_at(hp, op->tmp);   /* done; the old entry (exchange) may be left */
		return 0;
	}
	if (fstatat(hp, op->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != op->ino)
		return -ESTALE;
	if (op->exchange) {
		if (renameat2(hp, op->tmp, hp, name, RENAME_EXCHANGE) < 0)
			return -errno;
		/* the old entry is now at the temporary name: is it the planned one? */
		if (fstatat(hp, op->tmp, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_ino != op->host_ino) {
			renameat2(hp, op->tmp, hp, name, RENAME_EXCHANGE);   /* give it back */
			return -ESTALE;
		}
		return rm_rf_at(hp, op->tmp);
	}
	return renameat(hp, op->tmp, hp, name) < 0 ? -errno : 0;
}

/* Phase C: the committed entry leaves the layer. */
static void drop_from_layer(struct commit *c, const struct op *op)
{
	_cleanup_close_ int up = parent_fd(c->cs.layers[op->layer].upper_fd, op->rel);
	const char *name = base_of(op->rel);
	struct stat st;

	if (up < 0 || fstatat(up, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (op->kind == OP_META && S_ISDIR(st.st_mode)) {
		if (c->vm->cfg.rootless)   /* fuse-overlayfs's marks are no entries */
			fuseovl_drop_marks(up, name);
		unlinkat(up, name, AT_REMOVEDIR);   /* only if nothing is left in it */
	}
	else
		rm_rf_at(up, name);
}

/*
 * A running VM keeps its committed entries (see the theory above); note
 * them in STORE/vms/NAME/committed.json with the time of the commit, so
 * that the host's change made by the commit is no conflict, and the next
 * boot drops the entries the VM has not touched since.
 */

static const char *op_path(const struct commit *c, const struct op *op, char buf[PATH_MAX])
{
	const char *m = c->cs.layers[op->layer].mount;

	snprintf(buf, PATH_MAX, "%s%s%s", m, strcmp(m, "/") ? "/" : "", op->rel);
	return buf;
}

/* A running VM's committed opaque directory: merged again from now on. */
static void unmark_opaque(struct commit *c, const struct op *op)
{
	_cleanup_close_ int up = parent_fd(c->cs.layers[op->layer].upper_fd, op->rel);
	_cleanup_close_ int fd = up < 0 ? -1 :
		openat(up, base_of(op->rel), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd >= 0)
		fremovexattr(fd, c->vm->cfg.rootless ? "user.overlay.opaque" : "trusted.overlay.opaque");
	if (fd >= 0 && c->vm->cfg.rootless)   /* and fuse-overlayfs's marks (store/fuse-layer.c) */
		fuseovl_unmark(fd);
}

int commit_apply_all(struct commit *c)
{
	int r = 0;

	for (size_t i = 0; i < c->nops; i++) {
		int q = apply_one(c, &c->ops[i]);

		c->ops[i].failed = q < 0;
		progress(c, c->nops + i, 2 * c->nops);
		c->pr.entries_done = i + 1;
		if (c->o->on_progress && (i % 32 == 31 || i + 1 == c->nops))
			c->o->on_progress(&c->pr, c->o->userdata);
		if (q < 0 && r == 0) {
			const struct layer_ref *l = &c->cs.layers[c->ops[i].layer];

			r = fvm_errf(c->err, q, "VM '%s': cannot apply %s%s%s: %s; run 'fvm commit %s' again to finish",
				     c->vm->cfg.name, l->mount, strcmp(l->mount, "/") ? "/" : "", c->ops[i].rel,
				     strerror(-q), c->vm->cfg.name);
		}
	}
	sync_hosts(c);
	for (size_t i = c->nops; i-- > 0;) {
		char path[PATH_MAX];

		if (c->ops[i].failed)
			continue;
		if (!c->running)
			drop_from_layer(c, &c->ops[i]);
		else if (c->ops[i].opaque && !store_below(c->vm, op_path(c, &c->ops[i], path)))
			unmark_opaque(c, &c->ops[i]);   /* its content now is the host's (but
							 * never where it hides the store or a --hide) */
	}
	if (c->running)
		record_running_commit(c);
	progress(c, 2 * c->nops, 2 * c->nops);
	return r;
}


/* ---- public ------------------------------------------------------------- */

/* The commit, with the callbacks of @cb (in vm_ids_run()'s child: relayed). */
static int commit_do(struct fvm_vm *vm, const void *arg, const struct ids_call *cb, struct fvm_error *err)
{
	struct fvm_commit_opts o = *(const struct fvm_commit_opts *)arg;
	struct commit c = { .vm = vm, .o = &o, .err = err };
	_cleanup_close_ int lock = vm_lock(vm, err);
	struct timespec ts;
	int r;

	o.plan = cb->change;
	o.progress = cb->count;
	o.on_progress = cb->on_progress;
	o.userdata = cb->userdata;
	if (lock < 0)
		return lock;
	r = lifecycle_recover(vm, err);   /* a snapshot or restore cut short (store/snapshot-journal.c) */
	if (r < 0)
		return r;
	c.running = vm_running(vm, NULL) == 0;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(c.id, sizeof(c.id), "%lx%05lx", (unsigned long)ts.tv_sec, (unsigned long)(ts.tv_nsec / 10000));
	r = layers_open(vm, &c.cs, err);
	if (r == 0 && !c.o->dry_run)
		r = commit_recover(&c);
	changes_free(&c.cs);
	if (r == 0)
		r = changes_collect(vm, c.o->paths, &c.cs, err);
	if (r == 0)
		r = commit_plan(&c);
	if (r == 0 && c.cs.n && !(c.byname = malloc(c.cs.n * sizeof(*c.byname))))
		r = fvm_errf(err, -ENOMEM, "out of memory");
	if (r == 0 && c.byname) {
		for (size_t i = 0; i < c.cs.n; i++)
			c.byname[i] = &c.cs.v[i];
		qsort(c.byname, c.cs.n, sizeof(*c.byname), cmp_change_path);
	}
	if (r == 0)
		r = commit_check_parents(&c);
	if (r == 0)
		r = commit_check_space(&c);
	if (r == 0 && !c.o->dry_run && c.nops) {
		for (size_t i = 0; i < c.nops; i++)
			c.pr.entries_total += c.ops[i].kind == OP_FILE || c.ops[i].kind == OP_NEWDIR ? c.ops[i].nplanned : 0;
		r = journal_write(&c, "prepared");
		if (r < 0)
			fvm_errf(err, r, "VM '%s': cannot write %s/commit.journal: %s", vm->cfg.name, vm->dir,
				 strerror(-r));
		if (r == 0) {
			r = prepare(&c);
			if (r == 0 && c.o->on_progress)
				c.o->on_progress(&c.pr, c.o->userdata);
			if (r == 0) {
				c.pr = (struct fvm_progress){ .entries_total = c.nops, .bytes_done = c.pr.bytes_done,
							      .bytes_total = c.pr.bytes_total, .applying = true };
				c.pr.bytes_done = c.pr.bytes_total;   /* copied: only renames are left */
				sync_hosts(&c);
				r = journal_write(&c, "ready");
			}
			if (r < 0 && commit_rollback(&c))
				journal_remove(vm);   /* else it stays: the next commit rolls back */
		}
		if (r == 0) {
			r = commit_apply_all(&c);
			if (r == 0)
				journal_remove(vm);
		}
	}
	commit_ops_free(&c);
	free(c.byname);
	changes_free(&c.cs);
	if (r == 0 && !c.o->dry_run && !c.o->paths && !c.running)
		stack_after_commit(vm);   /* all of it landed: off its frozen layers (store/stack-discard.c) */
	return r;
}

/**
 * fvm_vm_commit() - apply the VM's changes (under opts->paths, or all) to
 * the host, safely: see the theory of operation above. --ids sub: done
 * by a child that reaches the files of the VM's other ids, the plan and
 * progress callbacks called here (vm_ids_run()).
 *
 * Return: 0, -EBUSY on conflicts, -EPERM for a refused entry, -ENOSPC, or
 * another -errno; nothing is changed on the host unless 0 is returned or
 * the message says to run the commit again to finish.
 */
FVM_PUBLIC int fvm_vm_commit(struct fvm_vm *vm, const struct fvm_commit_opts *opts, struct fvm_error *err)
{
	static const struct fvm_commit_opts none = { 0 };
	const struct fvm_commit_opts *o = opts ? opts : &none;
	const struct ids_call cb = { .change = o->plan, .count = o->progress, .on_progress = o->on_progress,
				     .userdata = o->userdata };

	return vm_ids_run(vm, commit_do, o, &cb, err);
}

/*
 * Drop @name in the upper directory @dfd (VM path @path), but never what
 * hides a store: the whiteout stays, and so do the directories leading to
 * it, emptied of everything else.
 */
