/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * launch/launch.h - the launching part: from a stopped VM to a program
 * running in it. Building the VM's tree (after store/mount-plan.c) (mount.c) with idmapped mounts (idmap.c), the clone that makes
 * init and its namespaces (boot.c, boot-child.c, ns.c), init itself (init.c), its
 * control socket (ctl.c), the VM's runtime state (runtime.c), and joining
 * a running VM with a program and its terminal (exec.c, pty.c, relay.c).
 * Uses policy, changes (the recorded-commit prune before the layers are
 * mounted), the store and the helpers.
 */
#ifndef FVM_LAUNCH_H
#define FVM_LAUNCH_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "store/store.h"

/* ---- mount.c: building a VM's file system view with the new mount API ---- */

int mount_make(struct fvm_vm *vm, const struct host_mount *all, size_t n, size_t i,
	       int idmap_userns, int *ret_mnt, int *ret_spent, struct fvm_error *err);
int rootless_base(int *ret_mnt);
int mount_tmpfs_at(int rootfd, const char *target, const char *const *opts, unsigned attrs);
int mount_attach_at(int mnt, int rootfd, const char *target);
int layer_hide_all(struct fvm_vm *vm, const struct host_mount *all, size_t n,
		   const struct host_mount *hm, int upper, int lower, struct fvm_error *err);
int mount_cover(int *ret_mnt);
/* root.c */
int root_setup(struct fvm_vm *vm, const struct host_mount *mounts, const int *ovl_fds,
	       const int *spent, size_t n, struct fvm_error *err);

/* ---- idmap.c ---- */

int idmap_write(pid_t pid, const struct vm_config *cfg, uid_t caller_uid, gid_t caller_gid,
		struct fvm_error *err);
int idmap_userns_open(uid_t disk_uid, gid_t disk_gid, uid_t kuid, gid_t kgid);

/* ---- ns.c: which namespaces a VM has, and entering them ---- */

/* every namespace a VM owns except pid, which only children enter */
#define VM_NS_FLAGS(net) (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | \
			  ((net) != FVM_NET_HOST ? CLONE_NEWNET : 0))

/* the most namespace fds a VM's init hands a joiner (see ns_open_own) */
#define VM_NS_MAX 6

int ns_open_own(enum fvm_net net, int *fds);
int ns_enter_fds(const int *fds, size_t n, enum fvm_net net);
bool ns_fds_match(const int *fds, size_t n, unsigned long pidns);
int net_lo_up(void);
int pidns_inode(pid_t pid, unsigned long *ret);

/* ---- boot.c ---- */

int vm_boot(struct fvm_vm *vm, bool persist, struct vm_state *ret_st, int *ret_client,
	    struct fvm_error *err);

/* ---- ctl.c ---- */

int ctl_listen(struct fvm_vm *vm, struct fvm_error *err);
int ctl_connect(struct fvm_vm *vm, int *ret, struct fvm_error *err);
int ctl_wait_ack(int fd);
int ctl_wait_ack_ns(int fd, int *fds, size_t *ret_n);
bool ctl_leave(int fd, int init_pidfd, pid_t init_pid, bool wait_gone);

/* ---- init.c: the VM's PID 1; never returns ---- */

_Noreturn void init_main(int listen_fd, bool persist, const int *nsfds, size_t nns);
int init_handshake(int sock);
int init_exe_open(void);
/* init-static.c, as init-exe.c (generated) holds it: the static init's ELF image */
extern const unsigned char fvm_init_exe[];
extern const size_t fvm_init_exe_len;

/* ---- runtime.c ---- */

int vm_clear_runtime(struct fvm_vm *vm);
int vm_reset_runtime(struct fvm_vm *vm);

/* ---- pty.c: a terminal inside the VM, relayed to the user's ---- */

int pty_child_setup(int rootfd, int sock);
void pty_relay(int master, int child_pidfd, pid_t child, int sfd);

/* ---- relay.c: the caller's terminal relayed to a VM's program through pipes ---- */

#define RELAY_BUF 16384

/* one direction: fvm copies from @from to @to */
struct relay_chan {
	int from, to;
	bool to_vm;              /* the caller's stdin into the program's pipe */
	size_t len, off;         /* to_vm: bytes read from the caller, not yet written */
	char buf[RELAY_BUF];
};

/**
 * struct relay - stdio of one program in a VM
 * @child: what the program gets as fd 0, 1, 2: a pipe end, or -1 for
 *         fvm's own (not a terminal: passed as it is)
 * @ch:    fvm's side of each pipe
 * @nch:   pipes in use
 */
struct relay {
	int child[3];
	struct relay_chan ch[3];
	size_t nch;
};

#define RELAY_INIT { .child = { -1, -1, -1 } }

int relay_setup(struct relay *r, bool with_stdin);
int relay_child(const struct relay *r);
void relay_started(struct relay *r);
void relay_run(struct relay *r, int child_pidfd, pid_t child, int sfd);
void relay_release(struct relay *r);

/* ---- xauth.c: X authority files, parsed with bounds ---- */

#define XAUTH_NAME_MAX 64      /* "MIT-MAGIC-COOKIE-1" is 18 */
#define XAUTH_DATA_MAX 256     /* a MIT cookie is 16 bytes */
#define XAUTH_FILE_MAX 65536   /* a bigger authority file is refused */

struct xauth_cookie {
	char name[XAUTH_NAME_MAX];
	size_t name_len;
	unsigned char data[XAUTH_DATA_MAX];
	size_t data_len;
};

int xauth_pick(const unsigned char *buf, size_t len, unsigned display, const char *hostname,
	       struct xauth_cookie *ret);
size_t xauth_wild(const struct xauth_cookie *c, unsigned char *buf, size_t len);
int x11_display_number(const char *display, unsigned *ret);

/* ---- gui.c, xephyr.c: --gui, the display a VM gets ---- */

/* one host socket a VM gets as a bind mount of that socket file alone */
struct sock_bind {
	char host[108];               /* by path on the host */
	dev_t dev;                    /* as fvm opened it */
	ino_t ino;
	mode_t mode;                  /* its mode and owner, as fvm checked it */
	uid_t uid;
	gid_t gid;
	int tree;                     /* the socket, a detached bind mount, or -1 */
};

#define PULSE_COOKIE_MAX 256      /* PulseAudio's cookie is 256 bytes */

/* what one boot of a VM with a display or sound carries from the host into the VM */
struct gui_boot {
	enum fvm_gui mode;
	struct sock_bind x;           /* the X (or Wayland) socket the VM gets */
	unsigned vm_display;          /* its name in the VM: /tmp/.X11-unix/X<N> */
	unsigned char xauth[512];     /* the VM's authority file: one cookie */
	size_t xauth_len;
	int sup;                      /* x11: our end of the channel to the supervisor, or -1 */
	int clip_sup;                 /* x11 --clipboard on: the bridge's supervisor's, or -1 */
	/* --sound pulse (sound.c): the sound server's native socket and cookie */
	bool sound;
	struct sock_bind pulse;
	unsigned char pulse_cookie[PULSE_COOKIE_MAX];
	size_t pulse_cookie_len;
	/* --dbus-talk (dbus.c): the relay's socket, the channel to its supervisor */
	bool dbus;
	struct sock_bind dbus_sock;
	int dbus_sup;
	/* --device (devices.c): the host's nodes, checked by the parent, and in
	 * the VM's first process, each as a detached bind mount */
	size_t ndev;
	const char *dev_path[MAX_DEVICES];
	dev_t dev_rdev[MAX_DEVICES];
	int dev_tree[MAX_DEVICES];
};

#define GUI_BOOT_INIT { .sup = -1, .x.tree = -1, .pulse.tree = -1, .dbus_sock.tree = -1, .dbus_sup = -1, .clip_sup = -1 }
#define GUI_READY_MS 10000   /* Xephyr is up in well under a second; this is for a loaded host */
#define GUI_STOP_MS 3000

/* a program the VM's display needs (Xephyr), run on the host under a supervisor */
struct helper {
	void (*exec)(const struct fvm_vm *vm, const struct helper *h);   /* never returns */
	uid_t uid, gid;            /* root mode: who it runs as */
	const char *display;       /* Xephyr: the host's display */
	const char *bus;           /* the D-Bus relay: the bus's socket path */
	const struct clip_args *clip;   /* the clipboard bridge: its two displays */
};

/* clipboard.c: the displays the clipboard bridge joins */
struct clip_args {
	const char *host_display;            /* DISPLAY */
	const struct xauth_cookie *host;     /* its cookie, or NULL */
	unsigned nested;                     /* Xephyr's display number */
	const struct xauth_cookie *own;      /* Xephyr's cookie */
};

_Noreturn void clip_exec(const struct fvm_vm *vm, const struct helper *h);

int helper_spawn(struct fvm_vm *vm, const struct helper *h, const int *fds, int nfds, int log,
		 const char *pidfile, int *ret_chan);
int helper_log(struct fvm_vm *vm, const char *name);



int gui_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err);
int gui_attach(struct gui_boot *g, pid_t init_pid);
void gui_release(struct gui_boot *g);
int gui_child_open(struct fvm_vm *vm, struct fvm_error *err);
int gui_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err);
int gui_devices_bind(const struct fvm_vm *vm, int devfd);
void gui_stop(struct fvm_vm *vm);
char **gui_env_read(struct fvm_vm *vm);
void gui_env_apply(char *const *env, enum fvm_gui mode);
int sock_check(struct sock_bind *sb, const char *path, uid_t uid);
int sock_tree_host(const struct fvm_vm *vm, struct sock_bind *sb, struct fvm_error *err);
int sock_tree_child(const struct fvm_vm *vm, struct sock_bind *sb, struct fvm_error *err);
int sockdir_mount(int rootfd, const char *dir, const struct sock_bind *sb, const char *name,
		  const char *file, const void *data, size_t len, bool ro);

/* dbus.c */
int dbus_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err);
int dbus_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err);
size_t dbus_env(const struct gui_boot *g, char *buf, size_t size);
int dbus_auth_filter(char *buf, size_t *len, bool *nul_seen, int bus, uid_t uid);

/* sound.c */
int sound_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err);
int sound_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err);
size_t sound_env(const struct gui_boot *g, char *buf, size_t size);

/* xephyr.c */
struct xauth_cookie;
int start_xephyr(struct fvm_vm *vm, const char *display, const struct xauth_cookie *host,
		 struct gui_boot *g, struct fvm_error *err);

/* ---- fuseovl.c: fuse-overlayfs, a rootless VM's copy-on-write backend ---- */

/* the daemon: the host's own, never a binary of the VM's */
#define FUSEOVL_BIN "/usr/bin/fuse-overlayfs"

int fuseovl_mount(struct fvm_vm *vm, const struct host_mount *all, size_t n, size_t i,
		  int *ret_mnt, int *ret_fuse, int *ret_lock, struct fvm_error *err);
bool fuseovl_unavailable(int r);
int layer_lock(struct fvm_vm *vm, const char *target, struct fvm_error *err);
int fuseovl_spawn(struct fvm_vm *vm, pid_t init, const char *target, int fuse, int lock,
		  struct fvm_error *err);

/* ---- stack-mount.c: the lowers of a VM on a stack of frozen layers ---- */

/* detached mounts an overlay being made uses as layers */
struct stack_hold {
	int fd[STACK_MAX + 1];
	size_t n;
};
void stack_hold_release(struct stack_hold *h);
int stack_config_lowers(struct fvm_vm *vm, const char *mountpoint, int fs, int lower,
			struct stack_hold *hold, struct fvm_error *err);

int idmap_userns_range(unsigned from, unsigned to, unsigned count);

#endif
