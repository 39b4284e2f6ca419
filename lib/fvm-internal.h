/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fvm-internal.h - the objects behind the opaque public types, and the
 * interfaces between libfvm's files. Nothing here is exported.
 */
#ifndef FVM_INTERNAL_H
#define FVM_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>

#include "fvm.h"
#include "util.h"

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
	bool all_caps;      /* hardening switched off, one by one */
	bool no_seccomp;
	bool allow_userns;  /* the filter lets it make user namespaces */
	struct policy *policies;   /* sorted by path length: parents first */
	size_t npolicies;
	char **publish;            /* "HOSTPORT:VMPORT/proto", --net private */
	size_t npublish;
	struct fvm_limits limits;
	bool untrusted;
	bool host_loopback;  /* --net private: the host's 127.0.0.1 at the gateway */
};

#define MAX_POLICIES 64
#define MAX_PUBLISH 32

struct policy {
	char *path;
	enum fvm_policy_kind kind;
};

struct fvm_vm {
	struct fvm_store *store;  /* borrowed */
	int dirfd;                /* STORE/vms/NAME */
	char *dir;                /* its path, for messages and mount options */
	struct vm_config cfg;
	char **hidden;            /* paths fvm hides (stores, hide policies), once asked */
	size_t nhidden;
	char **stores;            /* the stores among them (stores.c), once asked */
	size_t nstores;
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

/* config.c */
unsigned config_pids(const struct vm_config *c, unsigned opt);
int config_apply(struct vm_config *c, const struct fvm_vm_opts *o, unsigned what,
		 struct fvm_error *err);
void config_release(struct vm_config *c);
const char *policy_name(enum fvm_policy_kind k);
int policy_parse_name(const char *s, enum fvm_policy_kind *ret);
int policies_effective(const struct vm_config *c, const char *home, struct policy **ret,
		       size_t *ret_n);
void policies_free(struct policy *p, size_t n);
int policy_check_host(const char *vm, enum fvm_policy_kind k, const char *path,
		      struct fvm_error *err);
struct stat;
int share_owner_error(const char *vm, const char *path, const struct stat *st,
		      struct fvm_error *err);

/* json.c */
int config_load(struct fvm_vm *vm, struct fvm_error *err);
int config_save(struct fvm_vm *vm, struct fvm_error *err);
int state_load(struct fvm_vm *vm, struct vm_state *ret);
int state_save(struct fvm_vm *vm, const struct vm_state *st);
char *config_to_json(const struct fvm_vm *vm, const struct vm_state *st, bool running,
		     int nprocs);

/* store.c */
int store_lock(struct fvm_store *store, struct fvm_error *err);
int vm_lock(struct fvm_vm *vm, struct fvm_error *err);

/* idmap.c */
int idmap_allocate(struct fvm_store *store, const char *name, uid_t *ret_base,
		   struct fvm_error *err);
int idmap_write(pid_t pid, const struct vm_config *cfg, uid_t caller_uid, gid_t caller_gid);
int idmap_userns_open(uid_t disk_uid, gid_t disk_gid, uid_t kuid, gid_t kgid);
int idmap_userns_range(unsigned from, unsigned to, unsigned count);

/* stores.c */
char **vm_stores_hidden(struct fvm_vm *vm, size_t *ret_n);
int vm_stores_record(struct fvm_vm *vm, struct fvm_error *err);

/* vm.c */
int vm_running(struct fvm_vm *vm, struct vm_state *ret_st);
int vm_clear_runtime(struct fvm_vm *vm);
int vm_reset_runtime(struct fvm_vm *vm);

/* boot.c */
int vm_boot(struct fvm_vm *vm, bool persist, struct vm_state *ret_st, int *ret_client,
	    struct fvm_error *err);
int ctl_connect(struct fvm_vm *vm, int *ret, struct fvm_error *err);
int ctl_wait_ack(int fd);
int ctl_wait_ack_ns(int fd, int *fds, size_t *ret_n);
void ctl_leave(int fd, int init_pidfd);

/* init.c: the VM's PID 1; never returns */
_Noreturn void init_main(int listen_fd, bool persist, const int *nsfds, size_t nns);

/* layer.c: one copy-on-write layer per host mount */
struct json_object;
int layer_escape(const char *mountpoint, char *buf, size_t len);
int layer_unescape(const char *name, char *buf, size_t len);
void layers_to_json(const struct fvm_vm *vm, struct json_object *array);
int layer_open(struct fvm_vm *vm, const char *mountpoint, int *ret_upper, int *ret_work,
	       struct fvm_error *err);
int layer_hide(int upper_fd, int lower_fd, const char *relpath, const struct vm_config *cfg);

/* procs.c */
int pidns_inode(pid_t pid, unsigned long *ret);

#endif
