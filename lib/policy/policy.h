/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * policy/policy.h - the policy part: what limits a VM's programs:
 * capabilities, no_new_privs, seccomp and Landlock (harden.c, with the
 * filters seccomp-gen.c builds), its control group (cgroup.c) and its
 * private network through pasta (net.c). Uses the store's objects
 * (header only) and the helpers.
 */
#ifndef FVM_POLICY_H
#define FVM_POLICY_H

#include <linux/filter.h>
#include <stdbool.h>
#include <sys/types.h>

#include "store/store.h"

/* ---- cgroup.c: limits and accounting, whatever cgroup version the host has ---- */

enum cg_ctrl { CG_MEMORY, CG_CPU, CG_CPUACCT, CG_PIDS, CG_BLKIO, CG_NCTRL };

struct cg_ops;

/**
 * struct vm_cgroup - one VM's cgroup, opened for one call
 * @ops:   the host's cgroup flavour; NULL: the VM has no cgroup
 * @root:  v2: [0] is the hierarchy's root; v1: one root per controller
 *         (-1 where the host lacks it)
 * @alias: v1: this controller is mounted together with an earlier one
 *         (cpu,cpuacct): same directories, so not made or joined twice
 * @rel:   the VM's cgroup below each root: "fvm/HASH-NAME"
 * @self:  v1: the VM's cgroup's "tasks" file per controller, open for a
 *         forked child to move itself in (cgroup_enter_self())
 * @back:  v1: the caller's own cgroup's "tasks" file per controller where
 *         @self is open, to step back out (cgroup_leave_self())
 */
struct vm_cgroup {
	const struct cg_ops *ops;
	int root[CG_NCTRL];
	bool alias[CG_NCTRL];
	char rel[128];
	int self[CG_NCTRL];
	int back[CG_NCTRL];
};

#define VM_CGROUP_INIT { .ops = NULL, .root = { -1, -1, -1, -1, -1 }, .self = { -1, -1, -1, -1, -1 }, \
			 .back = { -1, -1, -1, -1, -1 } }

int cgroup_check(const struct vm_config *c, struct fvm_error *err);
int cgroup_setup(struct fvm_vm *vm, struct vm_cgroup *ret, struct fvm_error *err);
int cgroup_join(struct fvm_vm *vm, struct vm_cgroup *ret, struct fvm_error *err);
int cgroup_enter(struct fvm_vm *vm, struct vm_cgroup *cg, pid_t pid, struct fvm_error *err);
int cgroup_prepare_self(struct vm_cgroup *cg);
int cgroup_enter_self(const struct vm_cgroup *cg);
int cgroup_open_back(struct vm_cgroup *cg);
int cgroup_leave_self(const struct vm_cgroup *cg);
bool cgroup_needed(const struct fvm_vm *vm);
void cgroup_release(struct vm_cgroup *cg);
void cgroup_remove(struct fvm_vm *vm);
int cgroup_stats(struct fvm_vm *vm, struct fvm_stats *ret);
uint64_t cgroup_oom_kills(struct fvm_vm *vm);
bool cgroup_pids_full(struct fvm_vm *vm);

/* shared by cgroup.c, cgroup-v1.c and cgroup-v2.c */
#define CG_MOUNT "/sys/fs/cgroup"
#define V1_UNLIMITED (UINT64_C(1) << 62)   /* v1 says "no limit" with a huge number */


/**
 * struct cg_ops - one cgroup flavour
 * @create:  make the VM's cgroup (and its parents); an existing one is kept
 * @apply:   write @l's limits; on failure *@ret_ctrl and *@ret_file say which
 * @enter:   move process @pid (all its threads) in
 * @open_self: open what a single-threaded child needs to move itself in
 *           (cgroup_enter_self()); -EOPNOTSUPP where only @enter works
 * @stats:   usage and limits, as the cgroup counts them
 * @destroy: remove the VM's cgroup; 0 if it is gone, -EBUSY while it has
 *           processes
 */
struct cg_ops {
	const char *name;
	int (*create)(struct vm_cgroup *cg);
	int (*apply)(struct vm_cgroup *cg, const struct fvm_limits *l, int *ret_ctrl,
		     const char **ret_file);
	int (*enter)(struct vm_cgroup *cg, pid_t pid);
	int (*open_self)(struct vm_cgroup *cg);
	int (*stats)(struct vm_cgroup *cg, struct fvm_stats *ret);
	int (*destroy)(struct vm_cgroup *cg);
};


extern const struct cg_ops v1_ops, v2_ops;
extern const char *const v1_names[CG_NCTRL];
void cg_file(const struct vm_cgroup *cg, const char *file, char *buf, size_t len);
int cg_write(const struct vm_cgroup *cg, int ctrl, const char *file, const char *val);
int cg_read(const struct vm_cgroup *cg, int ctrl, const char *file, char **ret);
bool cg_has(const struct vm_cgroup *cg, int ctrl, const char *file);
uint64_t cg_parse_u64(const char *s);
int cg_parse_key(const char *s, const char *key, uint64_t *ret);
int cg_read_u64(const struct vm_cgroup *cg, int ctrl, const char *file, uint64_t *ret);
int cg_read_key(const struct vm_cgroup *cg, int ctrl, const char *file, const char *key, uint64_t *ret);
int cg_write_u64(const struct vm_cgroup *cg, int ctrl, const char *file, uint64_t v);
int cg_rmdir(int root, const char *rel);
int cg_mkdir(int root, const char *rel);


/* ---- harden.c ---- */

/* the filters lib/seccomp-gen.c built with libseccomp (seccomp-bpf.c) */
extern const struct sock_filter fvm_bpf_default[];
extern const unsigned short fvm_bpf_default_len;
extern const struct sock_filter fvm_bpf_allow_userns[];
extern const unsigned short fvm_bpf_allow_userns_len;

bool harden_cap_kept(int cap);
int harden_drop_caps(void);
int harden_seccomp(bool allow_userns, bool nnp);
int harden_landlock_abstract(void);
int harden_caps(const struct vm_config *cfg);
int harden_finish(const struct vm_config *cfg);
int harden_init_caps(void);

/* ---- net.c: --net private, the VM's network stack connected to the host's through pasta ---- */

int net_start(struct fvm_vm *vm, pid_t init_pid, struct fvm_error *err);
void net_stop(struct fvm_vm *vm);
int fds_arrange(const int *fds, int n);
void signals_reset(void);

#endif
