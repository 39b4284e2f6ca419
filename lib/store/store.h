/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * store/store.h - the store part: the store and the VM objects as they
 * are on disk (store.c, vm.c), their settings (config.c) and the files
 * that hold them (config-file.c), locks, uid ranges (uidrange.c,
 * registry.c), the stores every VM must not see (stores.c) and the
 * per-mount layer directories (layer.c). Uses the helpers and policy's
 * checks of limits.
 */
#ifndef FVM_STORE_H
#define FVM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "fvm.h"
#include "util/util.h"

/* ---- objects ---- */

#define UID_RANGE 65536u                  /* ids per root-mode VM */
#define UID_REGION_BASE 1073741824u       /* 2^30: far above login users and subuids */
#define UID_REGION_SLOTS 16384u           /* up to 2^31 */

struct fvm_store {
	char *path;
	int dirfd;          /* the store directory */
	int vmsfd;          /* STORE/vms */
	bool rootless;      /* euid != 0 */
	uid_t uid;
	gid_t gid;
};

struct vm_config {
	char name[FVM_NAME_MAX + 1];
	long long created;
	enum fvm_net net;
	char hostname[65];
	bool rootless;
	uid_t uid_base;     /* root mode: host uid of root in the VM */
	unsigned uid_count;
	uid_t owner;        /* rootless: the user the VM belongs to */
	enum fvm_ids ids;   /* rootless: single or sub (auto is resolved at create) */
	uid_t subuid;       /* --ids sub: the first of the owner's subordinate uids */
	gid_t subgid;       /* and gids (subid.c) */
	char ids_note[FVM_ERROR_MSG_MAX + 32];  /* --ids auto that took single: why */
	bool all_caps;      /* hardening switched off, one by one */
	bool no_seccomp;
	bool allow_userns;  /* the filter lets it make user namespaces */
	bool new_privs;     /* no_new_privs off: set-uid programs (sudo) work */
	struct policy *policies;   /* sorted by path length: parents first */
	size_t npolicies;
	char **publish;            /* "HOSTPORT:VMPORT/proto", --net private */
	size_t npublish;
	struct fvm_limits limits;
	bool untrusted;
	bool host_loopback;  /* --net private: the host's 127.0.0.1 at the gateway */
	enum fvm_cow cow;    /* rootless copy-on-write backend (launch/fuseovl.c) */
	char *home;          /* the owner's home, fixed at create (the untrusted
			      * profile's), not the $HOME of each call */
	enum fvm_gui gui;
	bool sound;          /* --sound pulse: the sound server's socket (launch/sound.c) */
	bool clipboard;      /* --clipboard on: x11's selections shared (launch/clipboard.c) */
	char **dbus_talk;    /* --dbus-talk: bus names the VM may call (launch/dbus.c) */
	size_t ndbus_talk;
	struct vm_device *devices;  /* host device nodes bound into its /dev */
	size_t ndevices;
};

#define MAX_DEVICES 16
#define DEVICE_PATH_MAX 64

struct vm_device {
	char *path;
	bool any;
};

#define MAX_POLICIES 64
#define MAX_PUBLISH 32
#define MAX_DBUS_TALK 16
#define DBUS_NAME_MAX 255
bool dbus_name_ok(const char *s);

struct policy {
	char *path;
	enum fvm_policy_kind kind;
};

struct fvm_vm {
	struct fvm_store *store;  /* borrowed */
	int dirfd;                /* STORE/vms/NAME */
	char *dir;                /* its path, for messages and mount options */
	struct vm_config cfg;
	struct vm_view *view;     /* what it sees (view.c), once asked */
	uint64_t exec_oom_kills;  /* OOM kills during the last fvm_vm_exec() */
	char **stores;            /* the stores among them (stores.c), once asked */
	size_t nstores;
	struct gui_boot *gui;     /* while booting with a display (gui.c) */
};

/* runtime state of a booted VM, in run/state.json */
struct vm_state {
	pid_t pid;                     /* init, as the host sees it */
	unsigned long long starttime;  /* of init, to survive pid reuse */
	bool persist;                  /* started by `fvm start`: no auto-stop */
	unsigned long pidns;           /* inode of its pid namespace, 0 if unknown:
					* init is not dumpable, so from the host
					* only its booter (or root) may look */
};

/* ---- subid.c: a rootless VM's subordinate ids (--ids sub) ---- */

#define NEWUIDMAP_BIN "/usr/bin/newuidmap"
#define NEWGIDMAP_BIN "/usr/bin/newgidmap"

int subid_find(char *buf, const char *name, unsigned id, unsigned *ret_start,
	       unsigned long long *ret_best);
int subid_resolve(uid_t uid, uid_t *ret_uid, gid_t *ret_gid, struct fvm_error *err);
int subid_write_maps(pid_t pid, const struct vm_config *cfg, uid_t own, gid_t own_g,
		     struct fvm_error *err);
bool subid_entered(void);
int subid_enter(const struct vm_config *cfg, struct fvm_error *err);

/* ---- ids-run.c: host-side work on a --ids sub VM's layers, in a child ---- */

/* The caller's callbacks an operation calls, and the results it hands
 * back; in vm_ids_run()'s child these relay to the caller's. */
struct ids_call {
	fvm_change_fn change;                                          /* diff's fn, commit's plan */
	void (*count)(size_t done, size_t total, void *userdata);      /* commit's progress */
	void (*bytes)(uint64_t done, uint64_t total, void *userdata);  /* export's progress */
	void (*on_progress)(const struct fvm_progress *p, void *userdata);
	void *userdata;
	void *ret;          /* ret_len bytes the operation fills, copied back */
	size_t ret_len;
	int *ret_fd;        /* an fd the operation opens, handed back on success */
};

typedef int (*ids_fn)(struct fvm_vm *vm, const void *arg, const struct ids_call *cb,
		      struct fvm_error *err);
int vm_ids_run(struct fvm_vm *vm, ids_fn fn, const void *arg, const struct ids_call *cb,
	       struct fvm_error *err);

/* ---- config.c ---- */

unsigned config_pids(const struct vm_config *c, unsigned opt);
int config_apply(struct vm_config *c, const struct fvm_vm_opts *o, unsigned what,
		 struct fvm_error *err);
void config_release(struct vm_config *c);
const char *policy_name(enum fvm_policy_kind k);
const char *gui_name(enum fvm_gui g);
int gui_parse_name(const char *s, enum fvm_gui *ret);
int device_check(const char *vm, const char *path, bool any, dev_t *ret_rdev,
		 struct fvm_error *err);
int devices_set(struct vm_config *c, const struct fvm_device *d, size_t n, struct fvm_error *err);
void devices_free(struct vm_device *d, size_t n);
int policy_parse_name(const char *s, enum fvm_policy_kind *ret);
int policies_effective(const struct vm_config *c, const char *home, struct policy **ret,
		       size_t *ret_n);
void policies_free(struct policy *p, size_t n);
int policy_check_host(const char *vm, enum fvm_policy_kind k, const char *path,
		      struct fvm_error *err);
struct stat;
int share_owner_error(const char *vm, const char *path, const struct stat *st,
		      struct fvm_error *err);

/* ---- config-file.c: config.json and run/state.json ---- */

int config_load(struct fvm_vm *vm, struct fvm_error *err);
int config_save(struct fvm_vm *vm, struct fvm_error *err);
int state_load(struct fvm_vm *vm, struct vm_state *ret);
int state_save(struct fvm_vm *vm, const struct vm_state *st);
struct json_object;
int json_object_at(int dirfd, const char *file, struct json_object **ret);
int json_save_at(int dirfd, const char *name, struct json_object *o);
void json_putp(struct json_object **o);
#define _cleanup_json_ _cleanup_(json_putp)
char *config_to_json(struct fvm_vm *vm, const struct vm_state *st, bool running,
		     int nprocs);

/* ---- store.c ---- */

int store_lock(struct fvm_store *store, struct fvm_error *err);
int vm_lock(struct fvm_vm *vm, struct fvm_error *err);
int vm_lock_named(struct fvm_vm *vm, struct fvm_error *err);

/* ---- vm.c ---- */

int vm_running(struct fvm_vm *vm, struct vm_state *ret_st);
int hostname_check(const char *h, struct fvm_error *err);

/* ---- uidrange.c ---- */

int idmap_allocate(struct fvm_store *store, const char *name, uid_t *ret_base,
		   struct fvm_error *err);

/* ---- registry.c: the machine-wide record of root-mode VMs' uid ranges and stores ---- */

struct reg_entry {
	unsigned long long base;   /* uid_base of the VM */
	char *store;               /* its store's path */
	char *name;                /* its name */
};

int registry_open(int *ret_dirfd, struct reg_entry **ret, size_t *ret_n, struct fvm_error *err);
int registry_save(int dirfd, const struct reg_entry *v, size_t n, struct fvm_error *err);
void registry_free(struct reg_entry *v, size_t n);
int registry_release(const char *store_path, const char *name, uid_t base,
		     struct fvm_error *err);
int registry_stores(char ***ret, struct fvm_error *err);
int registry_rename(const char *store, const char *from, const char *to, struct fvm_error *err);
int registry_release_held(const char *store_path, const unsigned *bases, size_t n, struct fvm_error *err);

/* the registry's name for the range of a removed VM whose frozen layers
 * still back other VMs of its store (not a valid VM name) */
#define REGISTRY_HELD ".layers"

/* ---- view.c ---- */

/**
 * struct vm_view - what a VM sees of the host besides the host's mounts,
 * made once per VM object from its config (view.c)
 * @policies: the effective path policies: defaults, profile, the VM's own;
 *            parents first, no COW entries
 * @hidden:   what fvm hides: every store it knows of, the hide policies
 */
struct vm_view {
	struct policy *policies;
	size_t npolicies;
	char **hidden;
	size_t nhidden;
};

const struct vm_view *vm_view(struct fvm_vm *vm);
void vm_view_drop(struct fvm_vm *vm);
bool in_store(struct fvm_vm *vm, const char *path);
bool store_below(struct fvm_vm *vm, const char *path);

/* ---- mount-plan.c: the host mounts a VM sees, each of which gets its own copy-on-write overlay (overlayfs layers cannot cross mounts) ---- */

/* what goes at a path of the VM's tree */
enum mount_kind {
	MK_OVERLAY,   /* copy-on-write overlay of a host mount (or rootless extra root) */
	MK_SHARE,     /* the host's own tree, bound in (policy share) */
	MK_PRIVATE,   /* a directory of the VM's store, bound in (policy private) */
	MK_RO,        /* what the VM sees there, made read-only (policy ro) */
	MK_HIDE,      /* a whiteout in the layer below (policy hide): no mount */
};

struct host_mount {
	char *target;          /* absolute path on the host and in the VM */
	unsigned long attrs;   /* MOUNT_ATTR_RDONLY / NOSUID / NOEXEC carried over */
	bool extra;            /* a rootless copy-on-write root, not a host mount */
	enum mount_kind kind;
};

struct vm_config;
int host_mounts_read(const char *store_path, const struct vm_config *cfg, const struct vm_view *view,
		     struct host_mount **ret, size_t *ret_n, struct fvm_error *err);
void host_mounts_free(struct host_mount *m, size_t n);

/* ---- stores.c ---- */

char **vm_stores_hidden(struct fvm_vm *vm, size_t *ret_n);
int vm_stores_record(struct fvm_vm *vm, struct fvm_error *err);

/* ---- layer.c: one copy-on-write layer per host mount ---- */

struct json_object;
int layer_escape(const char *mountpoint, char *buf, size_t len);
int layer_unescape(const char *name, char *buf, size_t len);
void layers_to_json(const struct fvm_vm *vm, struct json_object *array);
int layer_open(struct fvm_vm *vm, const char *mountpoint, int *ret_upper, int *ret_work,
	       struct fvm_error *err);
int layer_hide(int upper_fd, int lower_fd, const char *relpath, const struct vm_config *cfg);
struct stat;
void layer_mirror_dir(int fd, const struct stat *lower, const struct vm_config *cfg);

/* ---- store.c (more): what killed imports left ---- */

void import_sweep(struct fvm_store *store);

/* ---- service-state.c: a VM's service, as its supervisor recorded it ---- */

/* bounds of a service's command (checked when it is started, and when read) */
#define SVC_ARGS_MAX 256
#define SVC_ARG_MAX 4096
#define SVC_ARGV_BYTES (64 * 1024)

struct json_object *service_json(struct fvm_vm *vm);

/* ---- fuse-layer.c: what fuse-overlayfs writes in a layer ---- */

/* the xattrs fuse-overlayfs keeps in an upper layer (opaque, origin) */
#define FUSEOVL_XATTR_PREFIX "user.fuseoverlayfs."
/* fvm's mark on a directory it made in the layer for the VM (launch/fuseovl.c) */
#define FUSEOVL_SEED_XATTR "user.fvm.seed"
/* next to a layer's upper/: what its seed directories were when last seeded */
#define FUSEOVL_SEED_KEYS "seeded"

bool fuseovl_marker(const char *name);
void fuseovl_unmark(int dirfd);
bool fuseovl_seed_unused(int dfd, const char *name);
void fuseovl_drop_marks(int dfd, const char *name);
void fuseovl_inspect(const struct fvm_vm *vm, struct json_object *layers);

/* ---- stack.c, layer-gc.c, snapshot.c, snapshot-journal.c, stack-discard.c,
 * rename.c: a VM's stack of frozen layers, snapshots, renames ---- */

/* Frozen layers a VM may stack under its upper: far below overlayfs'
 * limit of 500 lowers, and few enough that a lookup stays cheap. */
#define STACK_MAX 16
#define LAYER_ID_LEN 17   /* 16 hex digits and the NUL */
#define TAG_MAX 64

struct stack_layer {
	char id[LAYER_ID_LEN];   /* STORE/layers/ID */
	unsigned base;           /* root mode: the uid_base its files are owned in */
};

struct layer_stack {
	struct stack_layer v[STACK_MAX];   /* bottom (oldest) first */
	size_t n;
};

/* the journal of a snapshot or restore, in the VM's directory */
#define LIFECYCLE_JOURNAL "lifecycle.json"

bool layer_id_ok(const char *s);
int layer_new_id(char *buf);
struct json_object *stack_to_json(const struct layer_stack *s);
int stack_from_json(struct json_object *a, struct layer_stack *ret);
int stack_load(struct fvm_vm *vm, struct layer_stack *ret, struct fvm_error *err);
int stack_save(struct fvm_vm *vm, const struct layer_stack *s, struct fvm_error *err);
int stack_full(struct fvm_vm *vm, struct fvm_error *err);
int pool_open(struct fvm_store *store, bool create);
int snapshot_file(const char *tag, char *buf, size_t len);
int snapshot_record(struct fvm_vm *vm, struct json_object *tag, long long created, struct json_object *a,
		    struct fvm_error *err);
int journal_begin(struct fvm_vm *vm, struct json_object *j, struct fvm_error *err);
int lifecycle_recover(struct fvm_vm *vm, struct fvm_error *err);
void layers_gc(struct fvm_store *store);
int stack_freeze(struct fvm_vm *vm, const char *tag, struct fvm_error *err);
int snapshot_lock(struct fvm_vm *vm, const char *what, bool *ret_running, struct fvm_error *err);
int snapshot_tag_pick(struct fvm_vm *vm, const char *tag, char *buf, size_t len, struct fvm_error *err);
int stack_room(struct fvm_vm *vm, struct fvm_error *err);
int layer_adopt(struct fvm_vm *vm, const char *dir, char *ret_id, struct fvm_error *err);
int snapshot_adopt_copy(struct fvm_vm *vm, const char *tag, bool copied, struct layer_stack *ret,
			struct fvm_error *err);

/* ---- layer-copy.c: a copy of a running VM's live layers ---- */

/* where a running VM's live layers are copied to, in its directory */
#define LIVE_COPY ".live-copy"
/* where the two lowest frozen layers of a full stack are merged (vm/flatten.c) */
#define FLAT_DIR ".flatten"

/* how far a copy of live layers (layer-copy.c) or a merge of two frozen
 * layers (changes/stackview.c, layers_flatten()) is; fn may be NULL */
struct layer_copy_progress {
	uint64_t bytes;    /* of file data copied (or linked) so far */
	uint64_t entries;  /* entries made so far */
	void (*fn)(uint64_t bytes, uint64_t entries, void *userdata);
	void *userdata;
};

void layer_progress_tick(struct layer_copy_progress *p, uint64_t bytes);
void layer_progress_end(struct layer_copy_progress *p);

int layers_copy_live(struct fvm_vm *vm, int dst, struct layer_copy_progress *p, struct fvm_error *err);
int stack_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err);
bool live_layers_empty(struct fvm_vm *vm);
void stack_after_commit(struct fvm_vm *vm);

int rename_finish(struct fvm_store *store, int dirfd, const char *dirname);

#endif
