/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fvm.h - libfvm, the feather-weight virtual machine monitor library.
 *
 * The only public header. Every type is opaque except the small value
 * structs below; every function returns 0 (or a count) on success and a
 * negative errno on failure, and fills the optional caller-owned
 * struct fvm_error with a message naming the VM, the path and the fix.
 * The library never prints and never exits.
 */
#ifndef FVM_H
#define FVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FVM_NAME_MAX 64          /* longest VM name, in bytes */
#define FVM_ERROR_MSG_MAX 512

/**
 * struct fvm_error - what went wrong, for a person to read
 * @code:        the negative errno also returned by the call
 * @exec_failed: true when the failure was exec'ing the program inside the
 *               VM (the CLI then exits 127 for -ENOENT, 126 otherwise)
 * @msg:         one line, no trailing newline
 */
struct fvm_error {
	int code;
	bool exec_failed;
	char msg[FVM_ERROR_MSG_MAX];
};

struct fvm_store;   /* the directory holding every VM */
struct fvm_vm;      /* one VM of a store */

enum fvm_net {
	FVM_NET_NONE = 0,    /* own network namespace, loopback only */
	FVM_NET_HOST = 1,    /* the host's network stack */
	FVM_NET_PRIVATE = 2, /* own stack, outbound through pasta, ports published on request */
};

/* what a VM sees at a path; the most specific path wins */
enum fvm_policy_kind {
	FVM_POLICY_COW = 0,      /* default: the host's, copy-on-write */
	FVM_POLICY_HIDE,         /* does not exist in the VM */
	FVM_POLICY_RO,           /* read-only in the VM */
	FVM_POLICY_SHARE,        /* the host's itself: writes reach the host, on purpose */
	FVM_POLICY_PRIVATE,      /* an empty directory only the VM has (kept in the store) */
};

struct fvm_policy {
	const char *path;
	enum fvm_policy_kind kind;
};

/* a VM's limit on processes and threads unless it says otherwise (podman's) */
#define FVM_PIDS_DEFAULT 2048u
/* @pids of struct fvm_limits: no limit at all */
#define FVM_PIDS_UNLIMITED 0xffffffffu

/**
 * struct fvm_limits - resources of a VM (0: no limit)
 * @memory:     bytes
 * @cpus_milli: thousandths of a CPU (1500 = 1.5 CPUs)
 * @pids:       processes and threads. In options: 0 is the default,
 *              FVM_PIDS_DEFAULT (none rootless, where fvm has no cgroup
 *              to enforce it), FVM_PIDS_UNLIMITED none. fvm inspect
 *              shows the stored limit, "max" for none.
 * @io_weight:  1..10000 relative block I/O weight
 */
struct fvm_limits {
	uint64_t memory;
	unsigned cpus_milli;
	unsigned pids;
	unsigned io_weight;
};

/**
 * struct fvm_vm_opts - settings fixed when a VM is created
 * @net:        network mode
 * @hostname:   hostname inside the VM; NULL means the VM's name
 * @all_caps:   keep every capability in the VM's user namespace (default:
 *              a reduced bounding set)
 * @no_seccomp: no seccomp filter (default: a deny-list); no_new_privs stays
 * @allow_userns: the filter lets the VM create user namespaces (and so
 *              nested containers); without it unshare/clone with
 *              CLONE_NEWUSER fail with EPERM and clone3 with ENOSYS
 */
struct fvm_vm_opts {
	enum fvm_net net;
	const char *hostname;
	bool all_caps;
	bool no_seccomp;
	bool allow_userns;
	const struct fvm_policy *policies;  /* @npolicies of them */
	size_t npolicies;
	char *const *publish;   /* NULL-terminated "HOSTPORT:VMPORT[/tcp|/udp]", --net private */
	struct fvm_limits limits;
	bool untrusted;         /* profile: hide keys, keyrings, browser profiles of the owner */
};

/* which fields of struct fvm_vm_opts fvm_vm_update() changes */
#define FVM_SET_NET       (1u << 0)
#define FVM_SET_HOSTNAME  (1u << 1)
#define FVM_SET_CAPS      (1u << 2)
#define FVM_SET_SECCOMP   (1u << 3)
#define FVM_SET_POLICIES  (1u << 4)   /* merged by path; FVM_POLICY_COW removes one */
#define FVM_SET_PUBLISH   (1u << 5)   /* replaces the list */
#define FVM_SET_MEMORY    (1u << 6)
#define FVM_SET_CPUS      (1u << 7)
#define FVM_SET_PIDS      (1u << 8)
#define FVM_SET_IO_WEIGHT (1u << 9)
#define FVM_SET_PROFILE   (1u << 10)

/**
 * struct fvm_exec - a program to run inside a VM
 * @argv:      NULL-terminated; NULL or empty means the user's login shell
 * @env:       extra "KEY=VALUE" entries (NULL-terminated, may be NULL)
 * @cwd:       working directory inside the VM; NULL: the caller's if it
 *             exists in the VM, else the user's home
 * @user:      "USER[:GROUP]" or "UID[:GID]" inside the VM; NULL: root
 * @stdin_open: pass the caller's stdin (else /dev/null)
 * @tty:       allocate a pseudo-terminal inside the VM for the program
 * @join_only: fail with -ESRCH instead of booting a stopped VM
 */
struct fvm_exec {
	char *const *argv;
	char *const *env;
	const char *cwd;
	const char *user;
	bool stdin_open;
	bool tty;
	bool join_only;
};

/**
 * struct fvm_proc - one process of a running VM
 */
struct fvm_proc {
	pid_t host_pid;
	pid_t vm_pid;
	uid_t host_uid;
	char comm[256];      /* command line, spaces between arguments */
};

/**
 * struct fvm_stats - resource use and limits of a VM (fvm_vm_stats())
 * @memory_bytes: memory charged to the VM (page cache included) or, without
 *              a cgroup, the resident memory of its processes
 * @memory_limit: bytes; 0: no limit
 * @cpu_usec:   CPU time used, in microseconds
 * @pids:       processes and threads now
 * @pids_limit: 0: no limit
 * @io_read_bytes, @io_write_bytes: block I/O
 * @running:    the VM runs (else every use is 0)
 * @cpus_limit_milli: CPU quota in thousandths of a CPU; 0: no limit
 * @from_cgroup: the numbers come from the VM's cgroup, not from /proc
 */
struct fvm_stats {
	uint64_t memory_bytes, memory_limit, cpu_usec;
	unsigned pids, pids_limit;
	uint64_t io_read_bytes, io_write_bytes;
	bool running;
	unsigned cpus_limit_milli;
	bool from_cgroup;
};

/* ---- changes -------------------------------------------------------- */

enum fvm_change_kind {
	FVM_CHANGE_ADDED,      /* the VM made it; the host has nothing there */
	FVM_CHANGE_MODIFIED,   /* content differs from the host's */
	FVM_CHANGE_METADATA,   /* same content, other mode or owner */
	FVM_CHANGE_DELETED,    /* the VM deleted the host's entry */
	FVM_CHANGE_REPLACED,   /* a type change, or a directory emptied and remade (opaque) */
};

/**
 * struct fvm_change - one entry of a VM's changes
 * @path:    absolute path as the VM sees it (and where commit puts it)
 * @type:    'f' file, 'd' directory, 'l' symlink, 'p' fifo, 's' socket,
 *           'c'/'b' device, '-' (deleted)
 * @size:    bytes of the VM's entry
 * @mode, @uid, @gid: the VM's entry; owners as host ids (root mode maps
 *           the VM's uid range back)
 * @mode_changed, @owner_changed: against the host's entry
 * @conflict: the host changed this path after the VM first wrote it;
 *           @conflict_why says how. Commit refuses it unless forced.
 * @link_target: for symlinks
 */
struct fvm_change {
	const char *path;
	enum fvm_change_kind kind;
	char type;
	uint64_t size;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	bool mode_changed;
	bool owner_changed;
	bool conflict;
	const char *conflict_why;
	const char *link_target;
};

typedef int (*fvm_change_fn)(const struct fvm_change *c, void *userdata);

/**
 * struct fvm_commit_opts - what fvm_vm_commit() does
 * @paths:   NULL-terminated absolute paths to commit (NULL: everything)
 * @dry_run: call @plan for every change it would apply, touch nothing
 * @force:   apply conflicting changes too
 * @allow_devices: commit device nodes
 * @allow_setid:   commit set-uid/set-gid files and file capabilities
 * @plan:    called for each change, before anything is applied
 * @progress: called now and then with (done, total); may be NULL
 */
struct fvm_commit_opts {
	char *const *paths;
	bool dry_run;
	bool force;
	bool allow_devices;
	bool allow_setid;
	fvm_change_fn plan;
	void (*progress)(size_t done, size_t total, void *userdata);
	void *userdata;
};

/* ---- store ---------------------------------------------------------- */

int fvm_store_open(const char *path, struct fvm_store **ret, struct fvm_error *err);
void fvm_store_free(struct fvm_store *store);
const char *fvm_store_path(const struct fvm_store *store);
bool fvm_store_rootless(const struct fvm_store *store);
int fvm_store_list(struct fvm_store *store, char ***ret_names, struct fvm_error *err);
void fvm_strv_free(char **strv);

int fvm_name_check(const char *name, struct fvm_error *err);

/* ---- VMs ------------------------------------------------------------ */

int fvm_vm_create(struct fvm_store *store, const char *name,
		  const struct fvm_vm_opts *opts, struct fvm_error *err);
int fvm_vm_open(struct fvm_store *store, const char *name,
		struct fvm_vm **ret, struct fvm_error *err);
void fvm_vm_free(struct fvm_vm *vm);

const char *fvm_vm_name(const struct fvm_vm *vm);
time_t fvm_vm_created(const struct fvm_vm *vm);
int fvm_vm_running(struct fvm_vm *vm, pid_t *ret_init_pid);
int fvm_vm_changes_size(struct fvm_vm *vm, uint64_t *ret_bytes, struct fvm_error *err);
int fvm_vm_inspect_json(struct fvm_vm *vm, char **ret_json, struct fvm_error *err);
int fvm_vm_processes(struct fvm_vm *vm, struct fvm_proc **ret, size_t *ret_n,
		     struct fvm_error *err);
int fvm_vm_stats(struct fvm_vm *vm, struct fvm_stats *ret, struct fvm_error *err);

int fvm_vm_start(struct fvm_vm *vm, struct fvm_error *err);
int fvm_vm_exec(struct fvm_vm *vm, const struct fvm_exec *ex, int *ret_status,
		struct fvm_error *err);
int fvm_vm_stop(struct fvm_vm *vm, unsigned timeout_sec, struct fvm_error *err);
int fvm_vm_remove(struct fvm_vm *vm, bool force, struct fvm_error *err);
int fvm_vm_update(struct fvm_vm *vm, const struct fvm_vm_opts *opts, unsigned what,
		  struct fvm_error *err);

int fvm_vm_diff(struct fvm_vm *vm, char *const *paths, fvm_change_fn fn, void *userdata,
		struct fvm_error *err);
int fvm_vm_commit(struct fvm_vm *vm, const struct fvm_commit_opts *opts, struct fvm_error *err);
int fvm_vm_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err);

#ifdef __cplusplus
}
#endif
#endif
