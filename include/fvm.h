/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fvm.h - libfvm, the feather-weight virtual machine monitor library.
 *
 * The only public header. Every type is opaque except the small value
 * structs below; every function returns 0 (or a count) on success and a
 * negative errno on failure, and fills the optional caller-owned
 * struct fvm_error with a message naming the VM, the path and the fix.
 *
 * Linking: `pkg-config --cflags --libs libfvm` (libfvm.so, version node
 * LIBFVM_0.1, which exports exactly the functions below); the installed
 * libfvm.a is one object in which every internal name is local, so it
 * links statically next to any program's own names.
 *
 * Threads and process-wide state. Handles are not locked: use one
 * struct fvm_store and its VMs from one thread at a time. Different VMs
 * are safe from different processes (each VM and the store have file
 * locks); from threads of one process these are not reentrant, and
 * calling them concurrently is undefined:
 *  - fvm_vm_start() and fvm_vm_exec() (when they boot the VM) raise the
 *    caller's soft RLIMIT_NOFILE to its hard limit while booting, and
 *    put it back before they return (the limit is the process's, so
 *    one boot at a time per process; the saved value is each call's own);
 *  - fvm_vm_exec() blocks SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1,
 *    SIGUSR2, SIGWINCH, SIGCHLD and SIGCONT with sigprocmask() while the
 *    program runs and forwards them to it (through a signalfd), ignores
 *    SIGPIPE with sigaction() meanwhile, and with @tty puts the caller's
 *    terminal (fd 0) in raw mode; each is restored before it returns. It relays the program's output to the
 *    caller's fds 1 and 2 (and fd 0 to it with @stdin_open);
 *  - fvm_vm_diff() and fvm_vm_commit() compare contents through static
 *    64 KiB buffers (one comparison at a time per process), and
 *    fvm_vm_commit() builds its paths in a static PATH_MAX buffer;
 *  - the environment is read, never written in the caller: FVM_HOME,
 *    XDG_DATA_HOME and HOME (fvm_store_open() with NULL), HOME (the
 *    policies for the owner's home at boot, diff and inspect, and hence
 *    for fvm_vm_commit()), FVM_UID_REGISTRY (root mode);
 *  - messages use strerror(), which glibc documents as MT-Unsafe;
 *  - the children that become the VM are made with the raw clone system
 *    call (glibc's fork handlers do not run) and allocate and format
 *    before they exec: in a caller with other threads, one holding a
 *    malloc or stdio lock at that moment can hang the child, and so the
 *    call. Use fvm_vm_start() and fvm_vm_exec() from a process with one
 *    thread, or from a child process made for them.
 * Everything else a VM needs runs in those child processes, never in the
 * caller's: namespaces, capabilities, seccomp, chdir, setenv. The
 * library never prints (only the caller's fds 1 and 2 carry the program's
 * output, see fvm_vm_exec()), never exits and never aborts the caller.
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

/**
 * enum fvm_cow - how a rootless VM's trees are made copy-on-write
 * @FVM_COW_AUTO:   the kernel's overlayfs where it works, fuse-overlayfs
 *                  where the kernel refuses (the host's "/", a tree with
 *                  mounts below it): the whole host copy-on-write; where
 *                  /dev/fuse cannot be opened, as @FVM_COW_KERNEL
 * @FVM_COW_KERNEL: the kernel's overlayfs only: rootless, the host's
 *                  system tree is then read-only in the VM
 * @FVM_COW_FUSE:   fuse-overlayfs for every tree (rootless only); the boot
 *                  fails where it cannot be set up
 *
 * As root every tree is the kernel's overlay (idmapped): auto is kernel.
 */
enum fvm_cow {
	FVM_COW_AUTO = 0,
	FVM_COW_KERNEL = 1,
	FVM_COW_FUSE = 2,
};

/**
 * enum fvm_ids - which ids a rootless VM has (fixed at create)
 * @FVM_IDS_SINGLE: one: the user's uid (gid) is the VM's root, nothing
 *                  else is mapped (the default): a program of the VM
 *                  cannot become another user (apt's _apt, su)
 * @FVM_IDS_SUB:    65,536, as rootless podman: VM id 0 is the user's,
 *                  VM ids 1..65535 the first of the user's subordinate
 *                  ids in /etc/subuid and /etc/subgid, mapped with the
 *                  distribution's newuidmap and newgidmap (package
 *                  uidmap); creating fails where they are missing
 * @FVM_IDS_AUTO:   sub where the user has such ranges and newuidmap
 *                  works, else single (fvm_vm_inspect_json()'s "ids_note"
 *                  says why); decided at create
 *
 * As root a VM always has its own range of 65,536 host ids: the setting
 * is for rootless VMs.
 *
 * Files such a VM gives its ids 1..65535 belong on the host to the user's
 * subordinate ids, which the user cannot read or remove. So, for a VM
 * with @FVM_IDS_SUB, fvm_vm_diff(), fvm_vm_commit(), fvm_vm_discard(),
 * fvm_vm_remove(), fvm_vm_export(), fvm_vm_copy_in(), fvm_vm_copy_out(),
 * fvm_vm_changes_size(), fvm_vm_snapshot(), fvm_vm_restore(),
 * fvm_vm_snapshot_remove(), fvm_vm_clone(), fvm_vm_rename(),
 * fvm_vm_open_file() and the boot do that work in a child process (made
 * with fork()) that enters a user namespace of its own that maps the
 * user's uid and gid and those ranges each to itself (written by
 * newuidmap and newgidmap): ids read as on the host, files it makes stay
 * the user's, and it gains capabilities over the user's ids only. The
 * calling process keeps its own ids and namespaces; the callbacks it
 * passes (diff's function, commit's plan and progress, export's
 * progress) are called in it, in order, while the child waits where it
 * needs the answer.
 */
enum fvm_ids {
	FVM_IDS_SINGLE = 0,
	FVM_IDS_SUB = 1,
	FVM_IDS_AUTO = 2,
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

/**
 * struct fvm_device - a host device node a VM gets (--device)
 * @path: absolute, under /dev; the node appears at the same path in the VM
 * @any:  any character device (--device-any); else a DRM render node only
 *        (/dev/dri/renderD*: major 226, minor 128 and up)
 */
struct fvm_device {
	const char *path;
	bool any;
};

/* how a VM shows windows (see README "Desktop programs") */
enum fvm_gui {
	FVM_GUI_NONE = 0,     /* no display (default) */
	FVM_GUI_X11 = 1,      /* a nested X server (Xephyr) of its own, on the caller's display */
	FVM_GUI_X11_HOST = 2, /* the caller's X display itself, by path, with its cookie: unsafe */
	FVM_GUI_WAYLAND = 3,  /* the caller's Wayland compositor's socket, by path */
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
 * @host_loopback: --net private: the VM reaches the host's loopback
 *              services (127.0.0.1) at its gateway address; off by
 *              default, and never with the untrusted profile
 * @gui:        display: none, a nested X server, the host's X display, or
 *              the host's Wayland compositor. At boot fvm reads DISPLAY and
 *              XAUTHORITY (else $HOME/.Xauthority), or WAYLAND_DISPLAY and
 *              XDG_RUNTIME_DIR, of the caller's environment.
 * @new_privs:  do not set no_new_privs on the VM's programs, so that a
 *              set-uid or file-capability program (sudo, su, ping) raises
 *              privileges inside the VM (to the VM's root and the VM's
 *              capability set at most, never beyond the VM); the seccomp
 *              filter is then loaded while the program is still the VM's
 *              root. Refused with the untrusted profile.
 * @sound:      the caller's PulseAudio (or PipeWire-pulse) native socket,
 *              by path ($PULSE_SERVER if it is unix:PATH, else
 *              $XDG_RUNTIME_DIR/pulse/native, read at boot), and its
 *              cookie if it has one; nothing else of the runtime directory.
 * @dbus_talk:  well-known names of the caller's session bus the VM may
 *              call (at most 16): a filtered proxy (xdg-dbus-proxy
 *              --filter --talk=NAME) on the host, behind a relay of fvm's
 *              that speaks the bus's authentication for the VM. Empty:
 *              no session bus at all (the default).
 * @clipboard:  with @gui FVM_GUI_X11, keep the nested server's CLIPBOARD
 *              and PRIMARY and the caller's display's in step, text only
 *              (a bridge on the host, a client of both); off by default.
 * @ids:        rootless: one id, or the user's subordinate ids too
 *              (enum fvm_ids); fixed at create (fvm_vm_update() refuses
 *              FVM_SET_IDS); ignored as root
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
	bool host_loopback;
	enum fvm_gui gui;
	const struct fvm_device *devices;  /* @ndevices of them */
	size_t ndevices;
	enum fvm_cow cow;       /* copy-on-write backend (rootless) */
	bool new_privs;         /* no_new_privs off (see below); never with @untrusted */
	bool sound;             /* --sound pulse (see below) */
	char *const *dbus_talk; /* NULL-terminated well-known bus names, --dbus-talk (see below) */
	bool clipboard;         /* --clipboard on (see below) */
	enum fvm_ids ids;       /* rootless: the VM's ids; fixed at create */
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
#define FVM_SET_HOST_LOOPBACK (1u << 11)
#define FVM_SET_GUI       (1u << 12)
#define FVM_SET_DEVICES   (1u << 13)   /* replaces the list */
#define FVM_SET_COW       (1u << 14)
#define FVM_SET_NEW_PRIVS (1u << 15)
#define FVM_SET_SOUND     (1u << 16)
#define FVM_SET_DBUS      (1u << 17)   /* replaces the list of --dbus-talk names */
#define FVM_SET_CLIPBOARD (1u << 18)
#define FVM_SET_IDS       (1u << 19)   /* fvm_vm_create() only: fvm_vm_update() refuses it */

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
 * @detach_stop: when the VM stops because the program was its last, return
 *             as soon as its init has begun to exit (every reader then sees
 *             it stopped, and whatever acts on it waits for the rest), not
 *             once the kernel has torn its namespaces down (each overlay's
 *             unmount syncs its upper file system); the VM's cgroup goes
 *             with a short-lived helper once init is gone. init stays a
 *             child of the caller until then: for a program that exits
 *             right after (the fvm command), not one that reaps children
 *             it did not start.
 * @dry_run:   do all a run does up to the program (join, @user resolved in
 *             the VM and become, @cwd entered), then end with status 0
 *             instead of running @argv: a check that @user and @cwd work
 *             (fvm start --user checks its service's user so)
 */
struct fvm_exec {
	char *const *argv;
	char *const *env;
	const char *cwd;
	const char *user;
	bool stdin_open;
	bool tty;
	bool join_only;
	bool detach_stop;
	bool dry_run;
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
 *           the VM's uid range back; rootless, the layer's own: the
 *           user's, or with FVM_IDS_SUB one of the user's subordinate
 *           ids, while fvm_vm_commit() lands every entry as the user's)
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
 * struct fvm_progress - how far a commit is (struct fvm_commit_opts)
 * @entries_done, @entries_total: entries (files, directories, links...)
 *              made on the host so far, of all it will make, the entries
 *              inside a new directory included; then the renames that put
 *              them in place, one per change the plan listed at top level
 * @bytes_done, @bytes_total: file content copied so far, of all
 * @applying:   the renames have begun: @entries_* count them now
 */
struct fvm_progress {
	size_t entries_done, entries_total;
	uint64_t bytes_done, bytes_total;
	bool applying;
};

/**
 * struct fvm_commit_opts - what fvm_vm_commit() does
 * @paths:   NULL-terminated absolute paths to commit (NULL: everything)
 * @dry_run: call @plan for every change it would apply, touch nothing
 * @force:   apply conflicting changes too
 * @allow_devices: commit device nodes
 * @allow_setid:   commit set-uid/set-gid files and file capabilities
 * @plan:    called for each change, before anything is applied
 * @progress: called now and then with (done, total) operations; may be NULL
 * @on_progress: called as the work moves, at most every 32 entries and at
 *           the end of each phase, with entries and bytes; may be NULL
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
	void (*on_progress)(const struct fvm_progress *p, void *userdata);
};

/* ---- store ---------------------------------------------------------- */

/**
 * fvm_store_open() - open the store at @path, creating it if needed
 * @path: the store directory; NULL: $FVM_HOME, else $XDG_DATA_HOME/fvm,
 *        else /var/lib/fvm for root, else ~/.local/share/fvm
 * @ret:  the store, freed with fvm_store_free()
 * @err:  optional
 *
 * The store must be a directory owned by the caller and not writable by
 * group or others: anyone who can write it controls every VM in it. A
 * store opened by root is a root-mode store, any other a rootless one.
 *
 * Return: 0 or -errno with @err filled; *@ret untouched on failure.
 */
int fvm_store_open(const char *path, struct fvm_store **ret, struct fvm_error *err);

/**
 * fvm_store_free() - close @store; NULL is allowed
 * @store: a store whose VMs are all freed already
 */
void fvm_store_free(struct fvm_store *store);

/**
 * fvm_store_path() - the directory of @store
 * @store: an open store
 *
 * Return: its absolute path, valid until fvm_store_free().
 */
const char *fvm_store_path(const struct fvm_store *store);

/**
 * fvm_store_rootless() - is @store a rootless one (opened by a user not root)?
 * @store: an open store
 *
 * Return: true for rootless, false for root mode.
 */
bool fvm_store_rootless(const struct fvm_store *store);

/**
 * fvm_store_list() - names of the VMs in @store, sorted
 * @store:     an open store
 * @ret_names: NULL-terminated array, freed with fvm_strv_free()
 * @err:       optional
 *
 * Entries whose name is not a valid VM name are not VMs and are skipped.
 *
 * Return: 0 or -errno with @err filled.
 */
int fvm_store_list(struct fvm_store *store, char ***ret_names, struct fvm_error *err);

/**
 * fvm_strv_free() - free a NULL-terminated array of strings and its strings
 * @strv: from fvm_store_list(); NULL is allowed
 */
void fvm_strv_free(char **strv);

/**
 * fvm_name_check() - is @name usable as a VM name?
 * @name: 1 to FVM_NAME_MAX bytes
 * @err:  optional
 *
 * Return: 0, or -EINVAL with a message that says what names look like.
 */
int fvm_name_check(const char *name, struct fvm_error *err);

/* ---- VMs ------------------------------------------------------------ */

/**
 * fvm_vm_create() - make a new, stopped VM with empty layers
 * @store: an open store
 * @name:  checked with fvm_name_check()
 * @opts:  its settings; NULL: the defaults
 * @ret:   the new VM, opened (free it with fvm_vm_free()); NULL: not opened
 * @err:   optional
 *
 * Return: 0, -EEXIST when the name is taken, or another -errno; on
 * failure nothing of the VM is left and *@ret is untouched.
 */
int fvm_vm_create(struct fvm_store *store, const char *name,
		  const struct fvm_vm_opts *opts, struct fvm_vm **ret,
		  struct fvm_error *err);

/**
 * fvm_vm_open() - open an existing VM and check its config
 * @store: an open store, which must outlive the VM handle
 * @name:  the VM's name
 * @ret:   the VM, freed with fvm_vm_free()
 * @err:   optional
 *
 * A VM belongs to the mode it was made in: a root-mode VM's layers hold
 * files of its uid range, a rootless one's the user's, so neither can be
 * opened in the other mode.
 *
 * Return: 0, -ENOENT when there is no such VM, -EBADMSG for a corrupted
 * config, -EPERM for a VM of the other mode or of another user, or another
 * -errno; *@ret untouched on failure.
 */
int fvm_vm_open(struct fvm_store *store, const char *name,
		struct fvm_vm **ret, struct fvm_error *err);

/**
 * fvm_vm_free() - free the handle @vm (the VM itself is untouched); NULL is allowed
 * @vm: from fvm_vm_open()
 */
void fvm_vm_free(struct fvm_vm *vm);

/**
 * fvm_vm_name() - the name of @vm
 * @vm: an open VM
 *
 * Return: its name, valid until fvm_vm_free().
 */
const char *fvm_vm_name(const struct fvm_vm *vm);

/**
 * fvm_vm_created() - when @vm was created
 * @vm: an open VM
 *
 * Return: Unix time.
 */
time_t fvm_vm_created(const struct fvm_vm *vm);

/**
 * fvm_vm_running() - does @vm run?
 * @vm:           an open VM
 * @ret_init_pid: optional: the host pid of its init, when it runs
 *
 * Return: 1 if it runs, 0 if it is stopped (or its state cannot be read).
 */
int fvm_vm_running(struct fvm_vm *vm, pid_t *ret_init_pid);

/**
 * fvm_vm_changes_size() - bytes taken by the changes of @vm
 * @vm:        an open VM
 * @ret_bytes: the size of its layers, allocated blocks of every entry
 * @err:       optional
 *
 * Return: 0.
 */
int fvm_vm_changes_size(struct fvm_vm *vm, uint64_t *ret_bytes, struct fvm_error *err);

/**
 * fvm_vm_inspect_json() - the settings and state of @vm, as a JSON object
 * @vm:       an open VM
 * @ret_json: a string the caller frees with free()
 * @err:      optional
 *
 * The object is a contract, versioned by "schema_version" (an integer,
 * now 1): a version adds fields and keeps the old ones; a field changes
 * type or meaning, or goes, only with a new version. Fields (version 1):
 *  - "schema_version": integer, 1;
 *  - "name": string; "created": integer, Unix time;
 *  - "state": "running" or "stopped"; "init_pid": integer, the host pid of
 *    its init, or null when stopped; "persistent": boolean, started by
 *    fvm_vm_start() (false when stopped); "processes": integer, 0 when
 *    stopped;
 *  - "hardening": object: "capabilities": "default" or "all"; "seccomp":
 *    "default", "allow-userns" or "off"; "no_new_privs": boolean, false
 *    when the VM was made with new_privs (set-uid programs work);
 *  - "policies": array of {"path": string, "mode": "cow", "hide", "ro",
 *    "share" or "private"}, the VM's own; "effective_policies": the same,
 *    with the defaults and the profile's, as they apply at the next boot;
 *  - "publish": array of strings "HOSTPORT:VMPORT/tcp" or ".../udp";
 *    "host_loopback": boolean (--net private reaches the host's 127.0.0.1
 *    services at its gateway);
 *  - "limits": object: "memory" (bytes), "cpus_milli", "io_weight":
 *    integers, 0 for none; "pids": integer, or the string "max" for none;
 *    "enforced": boolean, false rootless (no cgroup: no limit holds);
 *  - "profile": "default" or "untrusted"; "home": string, the owner's home
 *    directory as fvm_vm_create() found it (the untrusted profile hides
 *    the owner's secrets below it, whatever $HOME a later call has);
 *    absent for a VM made before it, whose home is the caller's $HOME;
 *  - "gui": "none", "x11", "x11-host" or "wayland";
 *  - "devices": array of {"path": string, "any": boolean}, the host's
 *    device nodes the VM gets (any: not only a DRM render node);
 *  - "net": "none", "host" or "private"; "hostname": string;
 *  - "mode": "root" or "rootless"; root mode: "uid_base", "uid_count":
 *    integers, the host uids the VM's ids map to; rootless: "owner":
 *    integer, the host uid the VM belongs to, and "ids": "single" or
 *    "sub" (enum fvm_ids, as decided at create), with "sub": "subuid",
 *    "subgid": integers, the host ids of the VM's ids 1.., with "single"
 *    from FVM_IDS_AUTO: "ids_note", string, why (additions:
 *    schema_version stays 1);
 *  - "path": string, the VM's directory in the store;
 *  - "cow": "auto", "kernel" or "fuse", the copy-on-write backend asked
 *    for (enum fvm_cow);
 *  - "service": null, or an object: "command": string; "state": string
 *    (see struct fvm_service_status); "restart": "no" or "on-failure";
 *    "max_restarts", "restarts": integers; "last_status": integer or
 *    null; "supervisor_pid": integer, or null when not active; "since":
 *    integer, Unix time; "user": string, the VM user it runs as ("root",
 *    or USER[:GROUP] as given) (additions: schema_version stays 1);
 *  - "layers": array of {"mount": string, the host mount point; "upper":
 *    string, the host directory holding the VM's changes to it; while the
 *    VM runs, "backend": "kernel" or "fuse", what that tree got at boot}.
 *
 * Return: 0 or -ENOMEM with @err filled.
 */
int fvm_vm_inspect_json(struct fvm_vm *vm, char **ret_json, struct fvm_error *err);

/**
 * fvm_vm_processes() - every process of @vm, ordered by pid in the VM
 * @vm:    an open VM
 * @ret:   array of *@ret_n entries, freed with free()
 * @ret_n: number of entries
 * @err:   optional
 *
 * Return: 0 (an empty list for a stopped VM) or -errno with @err filled.
 */
int fvm_vm_processes(struct fvm_vm *vm, struct fvm_proc **ret, size_t *ret_n,
		     struct fvm_error *err);

/**
 * fvm_vm_stats() - resource use and limits of @vm
 * @vm:  an open VM
 * @ret: filled on success
 * @err: optional
 *
 * From the VM's cgroup where it has one (root mode); without one
 * (rootless), the sums over its live processes in /proc. A stopped VM
 * has zero use and the limits of its config.
 *
 * Return: 0 or -errno with @err filled; *@ret untouched on failure.
 */
int fvm_vm_stats(struct fvm_vm *vm, struct fvm_stats *ret, struct fvm_error *err);

/**
 * fvm_vm_start() - boot @vm and keep it running until fvm_vm_stop()
 * @vm:  an open VM
 * @err: optional
 *
 * It keeps running even with no process in it. A VM already running
 * (say, for an fvm_vm_exec()) is told to stay up.
 *
 * Return: 0 or -errno with @err filled.
 */
int fvm_vm_start(struct fvm_vm *vm, struct fvm_error *err);

/**
 * fvm_vm_exec() - run a program in @vm and wait for it
 * @vm:         an open VM; booted first unless @ex->join_only
 * @ex:         the program and how to run it
 * @ret_status: its exit status, 128 + N when killed by signal N
 * @err:        optional
 *
 * The program's stdout and stderr are relayed to the caller's fds 1 and
 * 2 through pipes (with @ex->tty, a pty of the VM's own), its stdin from
 * fd 0 with @ex->stdin_open. A VM booted for it (not by fvm_vm_start())
 * stops when its last process exits. See the top of this file for the
 * signals and limits it changes in the caller while it runs.
 *
 * Return: 0 when the program ran (whatever its status), else -errno with
 * @err filled; @err->exec_failed tells that the program could not be
 * executed (-ENOENT: not found; else not executable).
 */
int fvm_vm_exec(struct fvm_vm *vm, const struct fvm_exec *ex, int *ret_status,
		struct fvm_error *err);

/**
 * fvm_vm_exec_oom_kills() - how many processes of @vm the kernel's OOM
 * killer ended while the last fvm_vm_exec() on this handle ran
 * @vm: an open VM
 *
 * Counted by the VM's cgroup: with a memory limit (root mode) only. A
 * program that died of SIGKILL with a non-zero count here was most likely
 * killed for want of memory.
 *
 * Return: the count; 0 without a memory limit.
 */
uint64_t fvm_vm_exec_oom_kills(const struct fvm_vm *vm);

/**
 * fvm_vm_stop() - stop @vm: SIGTERM to every process, SIGKILL after @timeout_sec
 * @vm:          an open VM
 * @timeout_sec: seconds to wait before SIGKILL
 * @err:         optional
 *
 * Stopping a stopped VM succeeds.
 *
 * Return: 0 or -errno with @err filled.
 */
int fvm_vm_stop(struct fvm_vm *vm, unsigned timeout_sec, struct fvm_error *err);

/**
 * fvm_vm_remove() - delete @vm and its layers
 * @vm:    an open VM; still to be freed with fvm_vm_free()
 * @force: stop it first if it runs (else a running VM is refused)
 * @err:   optional
 *
 * Root mode gives its uid range back.
 *
 * Return: 0, -EBUSY when it runs and not @force, or another -errno.
 */
int fvm_vm_remove(struct fvm_vm *vm, bool force, struct fvm_error *err);

/**
 * fvm_vm_update() - change settings of a stopped VM
 * @vm:   an open, stopped VM
 * @opts: the new values
 * @what: which of them: FVM_SET_* flags
 * @err:  optional
 *
 * Checked as on create; nothing changes on error.
 *
 * Return: 0, -EBUSY when it runs, -EINVAL for a bad setting, or another
 * -errno with @err filled.
 */
int fvm_vm_update(struct fvm_vm *vm, const struct fvm_vm_opts *opts, unsigned what,
		  struct fvm_error *err);

/**
 * fvm_vm_diff() - call @fn for every change of @vm, in path order
 * @vm:       an open VM, running or not
 * @paths:    NULL-terminated absolute paths to look under; NULL: all
 * @fn:       called with each change, valid during the call only
 * @userdata: passed to @fn
 * @err:      optional
 *
 * Return: 0, the non-zero value @fn returned (which stops the walk), or
 * -errno with @err filled.
 */
int fvm_vm_diff(struct fvm_vm *vm, char *const *paths, fvm_change_fn fn, void *userdata,
		struct fvm_error *err);

/**
 * fvm_vm_commit() - apply the changes of @vm to the host
 * @vm:   an open VM
 * @opts: which changes and how (see struct fvm_commit_opts)
 * @err:  optional
 *
 * The layer is treated as hostile; every file lands whole under a
 * journal, and a commit interrupted at any point is finished by the next.
 *
 * Return: 0, -EBUSY on conflicts, -EPERM for a refused entry, -ENOSPC, or
 * another -errno; nothing is changed on the host unless 0 is returned or
 * the message says to run the commit again to finish.
 */
int fvm_vm_commit(struct fvm_vm *vm, const struct fvm_commit_opts *opts, struct fvm_error *err);

/**
 * fvm_vm_discard() - drop the changes of @vm under @paths
 * @vm:    an open VM
 * @paths: NULL-terminated absolute paths; NULL: all changes
 * @err:   optional
 *
 * The VM then sees the host's files there again. What hides the stores
 * from the VM is kept.
 *
 * Return: 0 or -errno with @err filled.
 */
int fvm_vm_discard(struct fvm_vm *vm, char *const *paths, struct fvm_error *err);

/* ---- export, import, cp (export.c, import.c, cp.c) ------------------ */

enum fvm_compress {
	FVM_COMPRESS_NONE = 0,
	FVM_COMPRESS_GZIP,
	FVM_COMPRESS_ZSTD,
};

/**
 * struct fvm_export_opts - how fvm_vm_export() writes
 * @compress: the archive's compression
 * @progress: called now and then with (bytes of file content written,
 *            bytes in all); may be NULL
 * @userdata: passed to @progress
 */
struct fvm_export_opts {
	enum fvm_compress compress;
	void (*progress)(uint64_t done, uint64_t total, void *userdata);
	void *userdata;
};

/* bounds of fvm_store_import() unless its options say otherwise */
#define FVM_IMPORT_MAX_BYTES (64ULL << 30)        /* file content in all */
#define FVM_IMPORT_MAX_FILE_BYTES (16ULL << 30)   /* one file */
#define FVM_IMPORT_MAX_ENTRIES 2000000u           /* archive members */

/**
 * struct fvm_import_opts - how fvm_store_import() treats an archive
 * @name:           the new VM's name; NULL: the name in the archive's manifest
 * @allow_devices:  import device nodes (else the import is refused)
 * @allow_setid:    import set-uid and set-gid files (else refused)
 * @trust_settings: apply the archive's settings that loosen isolation
 *                  (--net host, published ports, --share and --cow paths,
 *                  capabilities, seccomp); else they are dropped and the
 *                  report says so
 * @max_bytes, @max_file_bytes, @max_entries: bounds; 0: the FVM_IMPORT_MAX_*
 * @progress:       called now and then with (bytes, members) read so far
 * @userdata:       passed to @progress
 */
struct fvm_import_opts {
	const char *name;
	bool allow_devices;
	bool allow_setid;
	bool trust_settings;
	uint64_t max_bytes;
	uint64_t max_file_bytes;
	size_t max_entries;
	void (*progress)(uint64_t bytes, size_t members, void *userdata);
	void *userdata;
};

/**
 * fvm_vm_export() - write the changes and settings of @vm to @fd as a tar archive
 * @vm:   an open, stopped VM (locked meanwhile)
 * @fd:   where the archive goes (a file, a pipe)
 * @opts: compression and progress; NULL: uncompressed, no progress
 * @err:  optional
 *
 * The archive is an OCI image layer: the VM's changes as `fvm diff` reads
 * them, each a member named by its path in the VM without the leading
 * '/', owners in the VM's own ids (0 = its root), deletions as OCI
 * whiteouts (DIR/.wh.NAME), opaque directories as DIR/.wh..wh..opq, a
 * file's further names as hard links, user.* xattrs as pax SCHILY.xattr;
 * sockets are left out (a tar cannot hold one).
 * Its first member, ".wh..fvm-manifest.json" (a whiteout of a path no
 * system has, so OCI tools skip it), is a JSON object: "format" (1),
 * "fvm_version", "name", "exported" (Unix time), "mode" ("root" or
 * "rootless"), "entries" (changes), "members" (archive members after
 * the manifest: fvm_store_import() refuses an archive that holds another
 * number, such as one cut at a member boundary), "settings" (the VM's config, as
 * fvm_vm_inspect_json() shows its settings), and "base": the host's "id"
 * and "version_id" (os-release), "arch", "packages_digest" and "packages"
 * (of /var/lib/dpkg/status).
 *
 * Return: 0, -EBUSY when @vm runs, -ENAMETOOLONG for changes too deep
 * for fvm diff to walk, or another -errno with @err filled; on error what was written to @fd is
 * no complete archive.
 */
int fvm_vm_export(struct fvm_vm *vm, int fd, const struct fvm_export_opts *opts,
		  struct fvm_error *err);

/**
 * fvm_store_import() - make a new VM in @store from an archive read from @fd
 * @store:      an open store
 * @fd:         a tar archive (plain, gzip or zstd), from fvm_vm_export() or
 *              any OCI image layer; treated as hostile
 * @opts:       name, what to allow, bounds; NULL: the defaults
 * @ret_report: optional: a JSON object the caller frees with free():
 *              "name", "manifest" (boolean), "host_differs" (boolean, with
 *              a manifest), "members", "files", "bytes", "whiteouts",
 *              "skipped" (members with no copy-on-write layer here) and
 *              "skipped_paths" (the first 20), "warnings" (strings)
 * @err:        optional
 *
 * The VM is built under a temporary name in the store and appears under
 * its name only when complete; an error, or a kill, leaves nothing (a
 * killed import's remains go at the next fvm_store_open()).
 *
 * Return: 0, -EEXIST when the name is taken, -EPERM for a device node or
 * set-id file not allowed, -EFBIG/-E2BIG past a bound, -EINVAL for a
 * member whose name could lead outside the VM's layers, or another -errno.
 */
int fvm_store_import(struct fvm_store *store, int fd, const struct fvm_import_opts *opts,
		     char **ret_report, struct fvm_error *err);

/**
 * fvm_vm_copy_out() - copy @vm_path of @vm to @host_path, like cp -R
 * @vm:        an open VM, running or not
 * @vm_path:   absolute path in the VM, read in the VM's view (its layer over
 *             the host's files), through no symlink: a symlink in it is
 *             refused, a symlink at its end copied as a symlink
 * @host_path: a new path, or an existing directory to copy into; its last
 *             component is never followed if it is a symlink
 * @err:       optional
 *
 * Files land with the caller's ownership, without set-uid/set-gid bits;
 * device nodes, FIFOs and sockets in a directory are left out.
 *
 * Return: 0, -ELOOP for a symlink in @vm_path or at @host_path, -ENOTSUP
 * for a path with no copy-on-write layer, or another -errno.
 */
int fvm_vm_copy_out(struct fvm_vm *vm, const char *vm_path, const char *host_path,
		    struct fvm_error *err);

/**
 * fvm_vm_open_file() - open the regular file @vm_path of @vm for reading
 * @vm:      an open VM, running or not
 * @vm_path: absolute path in the VM, looked up in the VM's view as for
 *           fvm_vm_copy_out(), through no symlink
 * @ret_fd:  the file's fd (O_RDONLY, close-on-exec), the caller's to close
 * @err:     optional
 *
 * The file was written by the VM: bound what is read from it.
 *
 * Return: 0, -ENOENT if the VM has no such file, -ELOOP for a symlink in
 * @vm_path or at its end, -EINVAL for no regular file, -ENOTSUP for a
 * path with no copy-on-write layer, or another -errno.
 */
int fvm_vm_open_file(struct fvm_vm *vm, const char *vm_path, int *ret_fd, struct fvm_error *err);

/**
 * fvm_vm_copy_in() - copy @host_path into the stopped @vm at @vm_path, like cp -R
 * @vm:        an open, stopped VM (locked meanwhile)
 * @host_path: a file, directory or symlink of the host (a symlink at its
 *             end is copied as a symlink)
 * @vm_path:   absolute path in the VM, or an existing directory of the VM
 *             to copy into; through no symlink
 * @err:       optional
 *
 * What is copied lands in the VM's layer, as the VM's own write would
 * (parent directories copied up with the host's mode and owner), owned
 * by the VM's root, without set-uid/set-gid bits.
 *
 * Return: 0, -EBUSY when @vm runs, -ELOOP for a symlink in @vm_path,
 * -ENOTSUP for a path with no copy-on-write layer, or another -errno.
 */
int fvm_vm_copy_in(struct fvm_vm *vm, const char *host_path, const char *vm_path,
		   struct fvm_error *err);

/* ---- services and their logs --------------------------------------- */

/* when a VM's service is started again after it ended */
enum fvm_restart {
	FVM_RESTART_NO,           /* never: its end is recorded */
	FVM_RESTART_ON_FAILURE,   /* after a non-zero exit status (or a signal) */
};

#define FVM_SERVICE_RESTARTS_DEFAULT 5u   /* restarts in a row before "failed" */
#define FVM_SERVICE_RESTARTS_MAX 1000u
#define FVM_SERVICE_USER_MAX 128          /* bytes of a service's "USER[:GROUP]" */

/**
 * struct fvm_service_opts - a VM's service (fvm_vm_service_start())
 * @argv:         the command, NULL-terminated: 1 to 256 arguments of at most
 *                4096 bytes, 64 KiB in all
 * @restart:      restart policy
 * @max_restarts: with FVM_RESTART_ON_FAILURE: restarts in a row (each
 *                after 1, 2, 4 ... up to 30 s; a run of 10 s or more
 *                resets the count) before the service is "failed"; 0: the
 *                default, FVM_SERVICE_RESTARTS_DEFAULT
 * @user:         the VM's user it runs as, "USER[:GROUP]" or "UID[:GID]" as
 *                for struct fvm_exec (at most FVM_SERVICE_USER_MAX bytes);
 *                NULL: root
 */
struct fvm_service_opts {
	char *const *argv;
	enum fvm_restart restart;
	unsigned max_restarts;
	const char *user;
};

/**
 * struct fvm_service_status - a VM's service as its supervisor last recorded it
 * @defined:      the VM has a service (else every other field is empty)
 * @state:        "running", "restarting" (waiting to start again), "exited"
 *                (ended, not restarted), "failed" (restarted too often),
 *                "stopped" (the VM stopped, or fvm_vm_service_stop()),
 *                "dead" (its supervisor was killed)
 * @command:      its arguments, spaces between (cut at 511 bytes)
 * @restart:      its restart policy; @max_restarts its bound
 * @restarts:     restarts in a row so far
 * @last_status:  exit status of its last run (128 + N: signal N); -1: none
 * @supervisor_pid: host pid of its supervisor while active, else 0
 * @since:        when @state began, Unix time
 * @user:         the user it runs as, as given (struct fvm_service_opts);
 *                "" for root
 */
struct fvm_service_status {
	bool defined;
	char state[16];
	char command[512];
	enum fvm_restart restart;
	unsigned max_restarts;
	unsigned restarts;
	int last_status;
	pid_t supervisor_pid;
	time_t since;
	char user[FVM_SERVICE_USER_MAX + 1];
};

/**
 * fvm_vm_service_start() - run a command in @vm as its service, kept
 * running by a supervisor process on the host
 * @vm:   an open VM; started (as by fvm_vm_start()) if it is stopped
 * @opts: the command and its restart policy
 * @err:  optional
 *
 * The command runs as @opts->user (root if NULL) in the VM, stdin /dev/null, its stdout and
 * stderr into the VM's service log (fvm_vm_logs()), which lives in the
 * store, out of the VM's sight: the command holds a pipe, never the file.
 * The log is bounded: 1 MiB, then it is rotated (one older file kept).
 * The supervisor ends when the VM stops. Returns once the supervisor runs.
 *
 * The user is looked up before the supervisor starts, by a dry run
 * (struct fvm_exec) in the VM: the VM's own /etc/passwd and /etc/group,
 * parsed (no NSS), read from inside the VM; a rootless VM has root only.
 * If it fails, no service starts (and a VM this call booted is stopped).
 *
 * Return: 0, -EINVAL for a bad command or user, -ESRCH for a user the VM
 * does not have, -EBUSY when a service of @vm is active, or another
 * -errno with @err filled.
 */
int fvm_vm_service_start(struct fvm_vm *vm, const struct fvm_service_opts *opts,
			 struct fvm_error *err);

/**
 * fvm_vm_service_stop() - tell the supervisor of @vm's service to end it
 * and not restart it
 * @vm:  an open VM
 * @err: optional
 *
 * The command itself ends with the VM (fvm_vm_stop()), or when it exits:
 * this only keeps the supervisor from starting it again.
 *
 * Return: 0 (also without a service) or -errno with @err filled.
 */
int fvm_vm_service_stop(struct fvm_vm *vm, struct fvm_error *err);

/**
 * fvm_vm_service_status() - the service of @vm and its state
 * @vm:  an open VM
 * @ret: filled on success; ret->defined false when it has none
 * @err: optional
 *
 * Return: 0, -EBADMSG for a corrupted record, or another -errno with @err
 * filled; *@ret untouched on failure.
 */
int fvm_vm_service_status(struct fvm_vm *vm, struct fvm_service_status *ret,
			  struct fvm_error *err);

/**
 * struct fvm_log_line - one line of a service's log
 * @time: when the supervisor read it
 * @text: the line, without its newline, not NUL-terminated: @len bytes,
 *        as the VM wrote them (escape them before a terminal)
 */
struct fvm_log_line {
	struct timespec time;
	const char *text;
	size_t len;
};

/**
 * struct fvm_logs_opts - what fvm_vm_logs() reads
 * @since:    skip lines older than this (Unix time; 0: all)
 * @follow:   after the end, wait for more lines until the service is no
 *            longer running or restarting
 * @fn:       called with each line; a non-zero return stops the read
 * @userdata: passed to @fn
 */
struct fvm_logs_opts {
	time_t since;
	bool follow;
	int (*fn)(const struct fvm_log_line *line, void *userdata);
	void *userdata;
};

/**
 * fvm_vm_logs() - the lines of @vm's service log, oldest first
 * @vm:   an open VM
 * @opts: which lines, and where they go
 * @err:  optional
 *
 * Return: 0, the non-zero value @opts->fn returned, -ENOENT when @vm has
 * no log (no service has run), or another -errno with @err filled.
 */
int fvm_vm_logs(struct fvm_vm *vm, const struct fvm_logs_opts *opts, struct fvm_error *err);
/* ---- snapshots, clone, rename --------------------------------------- */

/*
 * A VM's changes are a stack of layers: its live upper on top of up to
 * FVM_STACK_MAX frozen ones. A snapshot freezes the upper (a rename, not
 * a copy) and starts an empty one; a clone shares the frozen layers. The
 * cost of both is the same for ten changed files as for a million.
 * Every function here needs the VM stopped, and leaves either the old or
 * the new state after a crash at any step (a journal in the VM's
 * directory, finished by the next fvm command on that VM).
 */
#define FVM_STACK_MAX 16   /* frozen layers per VM */
#define FVM_TAG_MAX 64     /* longest snapshot tag, in bytes */

/**
 * struct fvm_snapshot - one snapshot of a VM, for fvm_vm_snapshots()
 * @tag:     its name
 * @created: when it was taken
 * @size:    bytes in the layer it froze (what removing it may free, if no
 *           later snapshot or clone holds that layer too)
 * @depth:   frozen layers it stands on, its own included
 */
struct fvm_snapshot {
	const char *tag;
	time_t created;
	uint64_t size;
	unsigned depth;
};

typedef int (*fvm_snapshot_fn)(const struct fvm_snapshot *s, void *userdata);

/**
 * struct fvm_snapshot_opts - what fvm_vm_snapshot() and fvm_vm_clone() report
 * @on_progress: called as the work that costs per file moves: the copy of
 *            a running VM's live layers, or the merge of the lowest two
 *            frozen layers at FVM_STACK_MAX (a link per entry); at most
 *            every 64 entries, after a large file and once at the end of
 *            each, with @entries_done (entries made) and @bytes_done (file
 *            content copied, or linked by the merge); the totals are 0
 *            (not known beforehand) and @applying false. A snapshot or
 *            clone of a stopped VM below the bound is one rename and
 *            calls it never. May be NULL.
 * @userdata: passed to @on_progress
 */
struct fvm_snapshot_opts {
	void (*on_progress)(const struct fvm_progress *p, void *userdata);
	void *userdata;
};

/**
 * fvm_vm_snapshot() - freeze the changes of @vm as @tag
 * @vm:      an open VM
 * @tag:     1 to FVM_TAG_MAX letters, digits, '.', '_' or '-' (not first);
 *           NULL: the next free "snapN"
 * @ret_tag: the tag used (may be NULL)
 * @len:     size of @ret_tag
 * @opts:    progress (struct fvm_snapshot_opts); NULL: none
 * @err:     optional
 *
 * A stopped VM's live layer becomes a frozen layer (a rename); a running
 * VM's is copied into one while its processes are stopped (SIGSTOP; they
 * run on afterwards, also if the caller dies), and the VM goes on on its
 * own layers.
 *
 * At FVM_STACK_MAX frozen layers, those of a stopped VM with live changes
 * are made fewer first: the lowest two are merged into one.
 *
 * Return: 0, -EEXIST if @tag is taken, -E2BIG at FVM_STACK_MAX frozen
 * layers that cannot be merged (a running VM, two uid ranges), -ETIMEDOUT if a process of the running VM would not stop, or
 * another -errno.
 */
int fvm_vm_snapshot(struct fvm_vm *vm, const char *tag, char *ret_tag, size_t len,
		    const struct fvm_snapshot_opts *opts, struct fvm_error *err);

/**
 * fvm_vm_snapshots() - call @fn for each snapshot of @vm, oldest first
 * @vm:       an open VM
 * @fn:       called once per snapshot; non-zero stops the walk
 * @userdata: passed to @fn
 * @err:      optional
 *
 * Return: 0, what @fn returned, or -errno.
 */
int fvm_vm_snapshots(struct fvm_vm *vm, fvm_snapshot_fn fn, void *userdata, struct fvm_error *err);

/**
 * fvm_vm_restore() - make the stopped @vm exactly what it was at @tag
 * @vm:  an open VM
 * @tag: a snapshot of it
 * @err: optional
 *
 * Changes made since that are not in another snapshot are dropped.
 *
 * Return: 0, -ENOENT for no such snapshot, -EBUSY if the VM runs, or -errno.
 */
int fvm_vm_restore(struct fvm_vm *vm, const char *tag, struct fvm_error *err);

/**
 * fvm_vm_snapshot_remove() - forget the snapshot @tag of @vm
 * @vm:  an open VM
 * @tag: a snapshot of it
 * @err: optional
 *
 * Its layer is freed once nothing (the VM, another snapshot, a clone)
 * stands on it.
 *
 * Return: 0, -ENOENT for no such snapshot, or -errno.
 */
int fvm_vm_snapshot_remove(struct fvm_vm *vm, const char *tag, struct fvm_error *err);

/**
 * fvm_vm_clone() - make the VM @dst with the changes and settings of @src
 * @store: the store of both
 * @src:   a VM (a running one costs a copy, see fvm_vm_snapshot())
 * @dst:   a name not in use
 * @opts:  progress (struct fvm_snapshot_opts); NULL: none
 * @err:   optional
 *
 * @src's upper is frozen (as a snapshot without a tag) and both stand on
 * the same frozen layers, so neither sees what the other writes next.
 * @dst gets its own uid range (root mode), its own creation time, its own
 * hostname if @src's was its name; no snapshots, and empty --private
 * directories.
 *
 * Return: 0, -EEXIST if @dst exists, or -errno.
 */
int fvm_vm_clone(struct fvm_store *store, const char *src, const char *dst,
		 const struct fvm_snapshot_opts *opts, struct fvm_error *err);

/**
 * fvm_vm_rename() - rename the stopped VM @old to @new
 * @store: the store of it
 * @old:   a stopped VM
 * @new:   a name not in use
 * @err:   optional
 *
 * Its hostname follows if it was its name.
 *
 * Return: 0, -EEXIST if @new exists, -EBUSY if the VM runs, or -errno.
 */
int fvm_vm_rename(struct fvm_store *store, const char *old, const char *new, struct fvm_error *err);

#ifdef __cplusplus
}
#endif
#endif
