/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * changes/changes.h - the changes part: a VM's changes as read from its
 * layers (changes.c), for diff, commit and discard (commit.c). Uses the
 * store, policy and the helpers; never launching.
 */
#ifndef FVM_CHANGES_H
#define FVM_CHANGES_H

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"

/*
 * xattr_is_users() - whether xattr @k is the user's own data, which commit
 * puts on the host and export and import carry: user.* but not the
 * layer's own marks (the kernel overlay's user.overlay.*, fuse-overlayfs's
 * user.fuseoverlayfs.*, fvm's user.fvm.*), which mean something only in a
 * layer and must never reach a host file or an archive.
 */
static inline bool xattr_is_users(const char *k)
{
	return !strncmp(k, "user.", 5) && strncmp(k, "user.overlay.", 13) &&
	       strncmp(k, FUSEOVL_XATTR_PREFIX, sizeof(FUSEOVL_XATTR_PREFIX) - 1) &&
	       strncmp(k, "user.fvm.", 9);
}

struct json_object;

/* one layer of the VM, with fds on its upper root and the host's mount */
struct layer_ref {
	char *mount;       /* mount point, as the VM and the host see it */
	int upper_fd;      /* layers/ESC/upper */
	int host_fd;       /* the host's directory at @mount, -1 if gone */
};

struct change {
	struct fvm_change pub;   /* pub.path == path */
	char *path;              /* absolute path in the VM */
	const char *rel;         /* path relative to the layer's mount (inside @path) */
	size_t layer;
	struct statx up;         /* the VM's entry (not for deletions) */
	struct statx host;       /* the host's entry, when host_exists */
	bool host_exists;
	bool opaque;             /* an opaque directory (emptied and remade) */
	bool implied;            /* a deletion implied by an opaque parent */
	bool too_long;           /* a directory holding paths longer than PATH_MAX */
	struct json_object *committed;   /* the changeset's, borrowed */
	char *target;            /* symlink target */
};

struct changeset {
	struct json_object *committed;   /* committed.json: path -> when a running commit applied it */
	struct layer_ref *layers;
	size_t nlayers;
	struct change *v;
	size_t n;
	bool live;         /* layers_open(): the live uppers, never a merged view */
	char farm[64];     /* the merged view of a stack (stackview.c) in the VM's dir, "" if none */
	int farm_dirfd;    /* the VM's dir, for removing it */
};

int changes_collect(struct fvm_vm *vm, char *const *paths, struct changeset *cs,
		    struct fvm_error *err);
uid_t map_uid_to_host(const struct vm_config *cfg, uid_t uid);
void commit_prune_recorded(struct fvm_vm *vm);

/* changeset.c */
int layers_open(struct fvm_vm *vm, struct changeset *cs, struct fvm_error *err);
int check_paths(struct fvm_vm *vm, char *const *paths, struct fvm_error *err);
void changes_free(struct changeset *cs);

/* conflict.c */
long long ts_ns(const struct statx_timestamp *t);
long long taken_at(const struct statx *up);
const char *conflict_of(const struct change *c, bool from_host);
bool host_tree_changed(int dfd, const char *name, long long t, unsigned *budget);

/* entry.c */
int list_dir(int dfd, char ***ret, size_t *ret_n);
int open_entry(int dfd, const char *name, mode_t type, struct statx *ret_x);
bool same_target(int up_dfd, int host_dfd, const char *name);
bool same_content(int up_dfd, int host_dfd, const char *name);
bool same_owner(const struct vm_config *cfg, const struct statx *up, const struct statx *host);
bool same_mode(const struct vm_config *cfg, const struct statx *up, const struct statx *host);
bool layer_xattr_is(int dfd, const char *name, const char *xprefix, bool rootless, const char *key,
		    const char *val);
bool list_has(char **v, size_t n, const char *name);

/* ---- commit*.c, discard.c: a commit in progress ---- */

#include <json-c/json.h>

enum op_kind { OP_FILE = 'F', OP_NEWDIR = 'N', OP_DELETE = 'D', OP_META = 'M' };

struct op {
	char kind;
	size_t layer;
	char *rel;               /* relative to the layer's mount */
	char tmp[64];            /* temporary name in the target's directory */
	unsigned long long ino;  /* of the temporary, once made */
	bool exchange;           /* host has another type there */
	bool failed;             /* could not be applied: stays in the layer */
	unsigned long long host_ino;   /* the host entry the plan replaces or deletes, 0: none */
	bool opaque;             /* the metadata of an opaque directory */
	const struct change *ch; /* what the plan checked (NULL: from the journal) */
	size_t nplanned;         /* OP_NEWDIR: entries the plan checked in it, itself included */
	bool have_meta;          /* OP_META: @meta is what to apply */
	struct statx meta;       /* mode, owner and times the plan checked */
};

struct commit {
	bool running;            /* the VM runs: its entries stay in the layer */
	struct fvm_vm *vm;
	const struct fvm_commit_opts *o;
	struct changeset cs;
	struct op *ops;
	size_t nops;
	char id[32];
	struct fvm_error *err;
	/* hard links inside the commit: upper inode -> the first one made, by
	 * its path from the host mount's root (no fd kept per link) */
	struct { unsigned long long ino; size_t layer; char *rel; } *links;
	size_t nlinks;
	const struct op *cur;           /* prepare(): the operation being made, at @cur_path */
	const char *cur_path;
	const struct change **byname;   /* the changes, sorted by path: what a new tree may hold */
	size_t made;                    /* entries made for the current operation */
	struct fvm_progress pr;         /* for opts->on_progress */
	struct dw_stack up, out;        /* prepare(): where it is in the layer and on the host */
};

/* commit.c */
const char *base_of(const char *rel);
int parent_fd(int root, const char *rel);
int commit_refuse(struct commit *c, const char *path, const char *why);
int commit_fail(struct commit *c, int r, const char *what, const char *path);
bool commit_rollback(struct commit *c);
int commit_apply_all(struct commit *c);
/* commit-plan.c */
int commit_plan(struct commit *c);
int commit_check_space(struct commit *c);
int commit_check_parents(struct commit *c);
/* commit-entries.c */
bool commit_refused(const struct commit *c, const struct statx *x, const char **why);
bool commit_refused_caps(const struct commit *c, int fd, const char **why);
bool commit_same_entry(const struct statx *planned, const struct statx *now);
int commit_moved(struct commit *c, const char *path);
int commit_set_meta(const struct commit *c, int dfd, const char *name, const struct statx *x);
int commit_make_entry(struct commit *c, const char *uname, const char *name, const char *path,
	       const struct statx *planned);
int cmp_change_path(const void *a, const void *b);
/* commit-journal.c */
int journal_write(struct commit *c, const char *phase);
int journal_parse(struct commit *c, const char *buf, bool *ready);
int journal_load(struct commit *c, bool *ready);
void journal_remove(struct fvm_vm *vm);
void commit_ops_free(struct commit *c);
int commit_recover(struct commit *c);
/* commit-running.c */
void record_running_commit(struct commit *c);

/* ---- xfer.c: what export, import and cp share ---- */

struct json_object;

/* the member of an export that holds its manifest: a whiteout of a path no
 * system has (/.fvm-manifest.json), so an OCI tool applying the layer skips
 * it (and deletes nothing), while fvm import reads it first */
#define XFER_MANIFEST ".wh..fvm-manifest.json"
#define XFER_FORMAT 1

/* the layers of one VM, opened as needed */
struct xfer_layers {
	struct fvm_vm *vm;
	struct host_mount *mounts;
	size_t nmounts;
	int *upper;            /* per mount: the upper's fd, -1 until opened */
	int *lower;            /* per mount: the host's directory (O_PATH), -1 until opened */
};

int xfer_layers_init(struct xfer_layers *xl, struct fvm_vm *vm, struct fvm_error *err);
void xfer_layers_free(struct xfer_layers *xl);
/* the mount of @path that has a copy-on-write layer; -ENOTSUP where the VM
 * has none there (rootless system tree, a share, a private or hidden path) */
int xfer_mount_of(struct xfer_layers *xl, const char *path, size_t *ret_i, const char **ret_rel);
int xfer_upper(struct xfer_layers *xl, size_t i, struct fvm_error *err);
int xfer_lower(struct xfer_layers *xl, size_t i);
/* open (making, as a copy-up would: the host's mode and owner) the upper
 * directory @rel of mount @i; "" is the layer's root. No symlink followed;
 * -ENOTDIR where the layer has a non-directory or a whiteout on the way. */
int xfer_upper_dir(struct xfer_layers *xl, size_t i, const char *rel, struct fvm_error *err);

/* ---- cp-put.c: where fvm cp lands an entry ---- */

int put_file(int sfd, const struct stat *st, int dfd, const char *name, int uid, int gid, mode_t keep);
int put_symlink(int sdfd, const char *sname, int dfd, const char *name, int uid, int gid);
int put_dir(int dfd, const char *name, bool *made);

/* bounds on an archive member's name */
#define XFER_PATH_MAX 4000
#define XFER_DEPTH_MAX 256
int xfer_member_path(const char *name, char *buf, size_t len);

/* ids: the VM's own (0 = its root) from a layer's, and back */
unsigned xfer_id_to_vm(const struct vm_config *cfg, const struct fvm_store *st, unsigned id, bool gid);
int xfer_id_to_layer(const struct vm_config *cfg, const struct fvm_store *st, unsigned id, bool gid,
		     unsigned *ret);

/* {"id","version_id","arch","packages_digest","packages"} of this host */
struct json_object *xfer_host_base(void);

/* ---- stackview.c: the merged view of a stack that diff and commit read ---- */

int stack_farm(struct fvm_vm *vm, char *ret_name, size_t len, struct fvm_error *err);
int layers_flatten(struct fvm_vm *vm, const char *lower, const char *upper, int dst,
		   struct layer_copy_progress *p, struct fvm_error *err);
long long farm_taken(int dfd, const char *name);

#endif
