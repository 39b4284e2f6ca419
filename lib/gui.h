/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * gui.h - --gui: a display for a VM (a nested X server of its own, or
 * the host's X display), see gui.c.
 */
#ifndef FVM_GUI_H
#define FVM_GUI_H

#include <stddef.h>
#include <sys/types.h>

#include "fvm-internal.h"

/* what one boot of a VM with a display carries from the host into the VM */
struct gui_boot {
	enum fvm_gui mode;
	char host_sock[108];          /* the X socket the VM gets, by path on the host */
	dev_t dev;                    /* that socket, as fvm opened it */
	ino_t ino;
	unsigned vm_display;          /* its name in the VM: /tmp/.X11-unix/X<N> */
	unsigned char xauth[512];     /* the VM's authority file: one cookie */
	size_t xauth_len;
	int sup;                      /* x11: our end of the channel to the supervisor, or -1 */
	int tree;                     /* in the VM's first process: the socket, a detached bind */
	/* --device (devices.c): the host's nodes, checked by the parent, and in
	 * the VM's first process, each as a detached bind mount */
	size_t ndev;
	const char *dev_path[MAX_DEVICES];
	dev_t dev_rdev[MAX_DEVICES];
	int dev_tree[MAX_DEVICES];
};

#define GUI_BOOT_INIT { .sup = -1, .tree = -1 }
#define GUI_READY_MS 10000   /* Xephyr is up in well under a second; this is for a loaded host */
#define GUI_STOP_MS 3000

/* a program the VM's display needs (Xephyr), run on the host under a supervisor */
struct helper {
	void (*exec)(const struct fvm_vm *vm, const struct helper *h);   /* never returns */
	uid_t uid, gid;            /* root mode: who it runs as */
	const char *display;       /* Xephyr: the host's display */
};



int gui_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err);
int gui_attach(struct gui_boot *g, pid_t init_pid);
void gui_release(struct gui_boot *g);
int gui_child_open(struct fvm_vm *vm, struct fvm_error *err);
int gui_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err);
int gui_devices_bind(const struct fvm_vm *vm, int devfd);
void gui_stop(struct fvm_vm *vm);
char **gui_env_read(struct fvm_vm *vm);
void gui_env_apply(char *const *env, enum fvm_gui mode);
int sock_check(char *ret_path, size_t len, dev_t *ret_dev, ino_t *ret_ino, const char *path, uid_t uid);

/* xephyr.c */
struct xauth_cookie;
int start_xephyr(struct fvm_vm *vm, const char *display, const struct xauth_cookie *host,
		 struct gui_boot *g, struct fvm_error *err);

#endif
