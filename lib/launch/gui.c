// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * gui.c - --gui: windows of a VM's programs on the caller's display.
 *
 * Theory of operation. A VM with a display gets one X socket, by path:
 * /tmp/.X11-unix/X<N> on a small read-only tmpfs that fvm mounts on the
 * VM's /tmp/.X11-unix, next to an authority file holding one cookie
 * (/tmp/.X11-unix/Xauthority), and DISPLAY=:N and XAUTHORITY in the
 * environment of every program fvm runs there. Nothing else of the
 * host's session: not its other sockets, not $XDG_RUNTIME_DIR, not its
 * D-Bus unless --dbus-talk (dbus.c), not its sound server unless --sound
 * (sound.c; both share this file's socket binding). The socket is a bind
 * mount of one host socket file, which fvm resolves on the host without
 * following symlinks, checks to be a socket (for x11, owned by the nested
 * server's uid), and finds again by device and inode in the VM's first
 * process before it binds it.
 *
 * Abstract sockets. Xlib (libxcb) tries the abstract name
 * @/tmp/.X11-unix/X<N> first and falls back to the path only if that
 * name is absent (ECONNREFUSED); with --net host the VM shares the host's
 * abstract names, and its Landlock scope makes a connect to the host's
 * one fail with EPERM, with no fallback. So with --net host N is a number
 * that no abstract socket of the host uses at boot; with its own network
 * namespace (none, private) the VM has no abstract X socket at all, N is 0.
 *
 * x11 (isolated). fvm starts a nested X server (Xephyr) on the caller's
 * display before the VM exists: the program sees only that server, whose
 * window shows on the desktop; it cannot list the host's windows, read
 * its keystrokes or its selections (Xephyr shares no clipboard). How it
 * runs, outside the VM, and dies with it: xephyr.c.
 *
 * wayland. The compositor's socket ($XDG_RUNTIME_DIR/$WAYLAND_DISPLAY,
 * or an absolute WAYLAND_DISPLAY) as /tmp/.X11-unix/wayland-0, and
 * WAYLAND_DISPLAY naming it by path; DISPLAY unset. Wayland clients do not
 * see each other's windows or input; what the compositor grants any
 * client (some offer screen capture to all) the VM gets too. As root a
 * VM's users are uids of their own, which connect as "others": a socket
 * not open to others (0755, as compositors make them) is refused with a
 * word to run rootless.
 *
 * Root mode binds from a detached mount made on the host (root_tree()):
 * the VM's first process, as the VM's root, may not reach a runtime
 * directory of mode 0700 by path.
 *
 * x11-host (unsafe, asked for by name). The caller's display itself: its
 * socket by path and its cookie only (from XAUTHORITY, else
 * ~/.Xauthority, as a one-entry file). The VM's programs can then do what
 * any client of that display can: read every window, every keystroke,
 * the clipboard, and inject input.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/launch.h"
#include "policy/policy.h"
#include "util/util.h"


#define VM_XDIR "tmp/.X11-unix"
#define VM_XAUTHORITY "/tmp/.X11-unix/Xauthority"
#define VM_WAYLAND "/tmp/.X11-unix/wayland-0"

/* The cookie of local display @display from the caller's authority file; -ENOENT: none. */
static int host_cookie(unsigned display, struct xauth_cookie *ret)
{
	const char *xa = getenv("XAUTHORITY"), *home = getenv("HOME");
	char path[4096], host[256] = "";
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	size_t n = 0;
	int r;

	if (xa && *xa == '/')
		snprintf(path, sizeof(path), "%s", xa);
	else if (home && *home == '/')
		snprintf(path, sizeof(path), "%s/.Xauthority", home);
	else
		return -ENOENT;
	fd = host_path_open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0)
		return fd == -ENOENT ? -ENOENT : fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOENT;   /* XAUTHORITY=/dev/null: no cookie */
	r = read_fd_bounded(fd, XAUTH_FILE_MAX, (size_t)st.st_size, &buf, &n);
	if (r < 0)
		return r;
	gethostname(host, sizeof(host) - 1);
	return xauth_pick((const unsigned char *)buf, n, display, host, ret);
}

/* sock_check() - the socket at @path: a socket (owned by @uid unless it is -1); its path and identity in @sb */
int sock_check(struct sock_bind *sb, const char *path, uid_t uid)
{
	_cleanup_close_ int fd = host_path_open(path, O_PATH);
	struct stat st;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (uid != (uid_t)-1 && st.st_uid != uid)
		return -EPERM;
	if ((size_t)snprintf(sb->host, sizeof(sb->host), "%s", path) >= sizeof(sb->host))
		return -ENAMETOOLONG;
	sb->dev = st.st_dev;
	sb->ino = st.st_ino;
	sb->mode = st.st_mode;
	sb->uid = st.st_uid;
	sb->gid = st.st_gid;
	return 0;
}

/* With --net host: a display number no abstract socket of the host uses (see above). */
static unsigned vm_display_number(enum fvm_net net)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0;

	if (net != FVM_NET_HOST)
		return 0;
	fd = open("/proc/net/unix", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_fd_bounded(fd, 64u << 20, 0, &buf, &n) < 0)
		return 0;
	for (unsigned d = 0; d < 1000; d++) {
		char name[40];

		snprintf(name, sizeof(name), " @/tmp/.X11-unix/X%u\n", d);
		if (!strstr(buf, name))
			return d;
	}
	return 0;
}

/* run/gui.env: the display's variables, then the sound server's */
static int write_env(struct fvm_vm *vm, const struct gui_boot *g, struct fvm_error *err)
{
	char env[512];
	int k = g->mode == FVM_GUI_NONE ? 0 : g->mode == FVM_GUI_WAYLAND ?
		snprintf(env, sizeof(env), "WAYLAND_DISPLAY=%s\n", VM_WAYLAND) :
		snprintf(env, sizeof(env), "DISPLAY=:%u\nXAUTHORITY=%s\n", g->vm_display, VM_XAUTHORITY);
	size_t n = (size_t)k + sound_env(g, env + k, sizeof(env) - (size_t)k);

	n += dbus_env(g, env + n, sizeof(env) - n);
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = run < 0 ? -errno : write_fileat_atomic(run, "gui.env", env, n, 0600, false);

	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write %s/run/gui.env: %s", vm->cfg.name, vm->dir,
				strerror(-r));
	return 0;
}

/* the socket of @sb found again (the same device and inode, no symlink), as a detached bind mount */
static int sock_tree(const struct fvm_vm *vm, struct sock_bind *sb, struct fvm_error *err)
{
	_cleanup_close_ int fd = host_path_open(sb->host, O_PATH);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode) || st.st_dev != sb->dev ||
	    st.st_ino != sb->ino)
		return fvm_errf(err, -ESTALE, "VM '%s': the socket %s changed while the VM booted: try again",
				vm->cfg.name, sb->host);
	sb->tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (sb->tree < 0)
		return fvm_errf(err, -errno, "VM '%s': cannot bind the socket %s: %s", vm->cfg.name,
				sb->host, strerror(errno));
	return 0;
}

/**
 * sock_tree_host() - root mode: the socket of @sb as a detached bind
 * mount, made here on the host and inherited by the VM's first process,
 * which as the VM's root may not reach it by path (a runtime directory of
 * mode 0700). Rootless, that process takes it itself (sock_tree_child()):
 * a mount of the host's namespace cannot be cloned in its own.
 *
 * Return: 0, or -errno with @err filled.
 */
int sock_tree_host(const struct fvm_vm *vm, struct sock_bind *sb, struct fvm_error *err)
{
	return vm->cfg.rootless ? 0 : sock_tree(vm, sb, err);
}

/**
 * sock_tree_child() - in the VM's first process (rootless), while its
 * mount namespace still shows the host's tree: the socket of @sb, unless
 * the host made it already (root mode).
 *
 * Return: 0, or -errno with @err filled.
 */
int sock_tree_child(const struct fvm_vm *vm, struct sock_bind *sb, struct fvm_error *err)
{
	return sb->tree >= 0 ? 0 : sock_tree(vm, sb, err);
}

/*
 * wayland: the compositor's socket, WAYLAND_DISPLAY (default wayland-0) in
 * XDG_RUNTIME_DIR, or an absolute WAYLAND_DISPLAY; nothing else of the
 * runtime directory.
 */
static int wayland_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err)
{
	const char *wd = getenv("WAYLAND_DISPLAY"), *rt = getenv("XDG_RUNTIME_DIR");
	char sock[sizeof(g->x.host)];
	int r;

	if (!wd || !*wd)
		wd = "wayland-0";
	if (*wd != '/' && (!rt || *rt != '/'))
		return fvm_errf(err, -EINVAL, "VM '%s': --gui wayland needs XDG_RUNTIME_DIR (an absolute path) for WAYLAND_DISPLAY '%.100s': run it from your desktop session, or fvm config %s --gui none",
				vm->cfg.name, wd, vm->cfg.name);
	if (strchr(wd, '/') && *wd != '/')
		return fvm_errf(err, -EINVAL, "VM '%s': --gui wayland: bad WAYLAND_DISPLAY '%.100s'", vm->cfg.name, wd);
	if ((size_t)snprintf(sock, sizeof(sock), "%s%s%s", *wd == '/' ? "" : rt, *wd == '/' ? "" : "/", wd) >= sizeof(sock))
		return fvm_errf(err, -ENAMETOOLONG, "VM '%s': --gui wayland: the compositor's socket path is too long", vm->cfg.name);
	r = sock_check(&g->x, sock, (uid_t)-1);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --gui wayland: the compositor's socket %s: %s (is WAYLAND_DISPLAY right?)",
				vm->cfg.name, sock, r == -ELOOP ? "a symlink, which fvm does not follow" : strerror(-r));
	/* the VM's users are uids of their own: they connect as "others" */
	if (!vm->cfg.rootless && !(g->x.mode & S_IWOTH))
		return fvm_errf(err, -EACCES, "VM '%s': --gui wayland: the compositor's socket %s is not open to other users (mode %04o), and a root-mode VM's users are uids of their own: run the VM rootless (fvm as your user)",
				vm->cfg.name, sock, (unsigned)(g->x.mode & 07777));
	return sock_tree_host(vm, &g->x, err);
}

/* x11, x11-host: the display's socket and its cookie */
static int x11_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err)
{
	const char *display = getenv("DISPLAY"), *mode = gui_name(vm->cfg.gui);
	struct xauth_cookie cookie;
	char sock[64];
	unsigned d;
	int r, have;

	if (x11_display_number(display, &d) < 0)
		return fvm_errf(err, -EINVAL, "VM '%s': --gui %s needs a local X display in DISPLAY (such as :0), not '%.100s': run it from your desktop session, or fvm config %s --gui none",
				vm->cfg.name, mode, display ? display : "", vm->cfg.name);
	have = host_cookie(d, &cookie);
	if (have < 0 && have != -ENOENT)
		return fvm_errf(err, have, "VM '%s': --gui %s: cannot read the cookie of display %s from %s: %s",
				vm->cfg.name, mode, display, getenv("XAUTHORITY") ? "$XAUTHORITY" : "~/.Xauthority",
				strerror(-have));
	if (g->mode == FVM_GUI_X11_HOST) {
		snprintf(sock, sizeof(sock), "/tmp/.X11-unix/X%u", d);
		r = sock_check(&g->x, sock, (uid_t)-1);
		if (r < 0)
			return fvm_errf(err, r, "VM '%s': --gui x11-host: the display's socket %s: %s", vm->cfg.name,
					sock, r == -ELOOP ? "a symlink, which fvm does not follow" : strerror(-r));
		g->xauth_len = have == 0 ? xauth_wild(&cookie, g->xauth, sizeof(g->xauth)) : 0;
	} else {
		r = start_xephyr(vm, display, have == 0 ? &cookie : NULL, g, err);
		if (r < 0)
			return r;
	}
	/* after Xephyr, whose abstract name it must avoid too */
	g->vm_display = vm_display_number(vm->cfg.net);
	return sock_tree_host(vm, &g->x, err);
}

/**
 * gui_start() - before the VM's first process exists: its display (see
 * the top of this file) in @g, the nested server started for x11. The
 * caller holds the VM's lock; run/ exists.
 *
 * Return: 0 (also without --gui: g->mode is FVM_GUI_NONE), or -errno
 * with @err filled and nothing left running.
 */
int gui_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err)
{
	int r;

	for (size_t i = 0; i < vm->cfg.ndevices; i++) {
		r = device_check(vm->cfg.name, vm->cfg.devices[i].path, vm->cfg.devices[i].any,
				 &g->dev_rdev[i], err);
		if (r < 0)
			return r;
		g->dev_path[i] = vm->cfg.devices[i].path;
		g->ndev = i + 1;
	}
	r = sound_start(vm, g, err);
	if (r == 0)
		r = dbus_start(vm, g, err);
	if (r < 0) {
		gui_release(g);
		return r;
	}
	g->mode = vm->cfg.gui;
	if (g->mode == FVM_GUI_NONE)
		r = 0;
	else if (g->mode == FVM_GUI_WAYLAND)
		r = wayland_start(vm, g, err);
	else
		r = x11_start(vm, g, err);
	if (r == 0 && (g->mode != FVM_GUI_NONE || g->sound || g->dbus))
		r = write_env(vm, g, err);
	if (r < 0)
		gui_release(g);
	return r;
}

/**
 * gui_attach() - the VM is up: hand the supervisor a pidfd of its init
 * @init_pid, so the nested server lives as long as the VM.
 *
 * Return: 0, or -errno (the server is then stopped).
 */
int gui_attach(struct gui_boot *g, pid_t init_pid)
{
	int pfd, r = 0;

	if (g->sup < 0 && g->dbus_sup < 0 && g->clip_sup < 0) {
		gui_release(g);
		return 0;
	}
	pfd = (int)syscall(SYS_pidfd_open, init_pid, 0);
	if (pfd < 0)
		r = -errno;
	if (r == 0 && g->sup >= 0)
		r = fds_send(g->sup, &pfd, 1);
	if (r == 0 && g->dbus_sup >= 0)
		r = fds_send(g->dbus_sup, &pfd, 1);
	if (r == 0 && g->clip_sup >= 0)
		r = fds_send(g->clip_sup, &pfd, 1);
	if (pfd >= 0)
		close(pfd);
	gui_release(g);
	return r;
}

/* the channels to the helpers' supervisors: closed, without init's pidfd they stop their helpers */
static void chans_close(struct gui_boot *g)
{
	int *c[] = { &g->sup, &g->dbus_sup, &g->clip_sup };

	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		if (*c[i] >= 0)
			close(*c[i]);
		*c[i] = -1;
	}
}

/* gui_release() - let go of the supervisors: without the init pidfd they stop the server and the rest */
void gui_release(struct gui_boot *g)
{
	chans_close(g);
	if (g->x.tree >= 0)
		close(g->x.tree);
	g->x.tree = -1;
	if (g->pulse.tree >= 0)
		close(g->pulse.tree);
	g->pulse.tree = -1;
	if (g->dbus_sock.tree >= 0)
		close(g->dbus_sock.tree);
	g->dbus_sock.tree = -1;
}

/**
 * gui_child_open() - in the VM's first process, while its mount namespace
 * still shows the host's tree: each --device node, the X socket and the
 * sound server's found again (the same device and inode, no symlink) and
 * taken as detached bind mounts.
 *
 * Return: 0, or -errno with @err filled.
 */
int gui_child_open(struct fvm_vm *vm, struct fvm_error *err)
{
	struct gui_boot *g = vm->gui;
	struct stat st;

	for (size_t i = 0; g && i < g->ndev; i++) {
		_cleanup_close_ int d = host_path_open(g->dev_path[i], O_PATH);

		if (d < 0 || fstat(d, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != g->dev_rdev[i])
			return fvm_errf(err, -ESTALE, "VM '%s': the device %s changed while the VM booted: try again",
					vm->cfg.name, g->dev_path[i]);
		g->dev_tree[i] = (int)syscall(SYS_open_tree, d, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (g->dev_tree[i] < 0)
			return fvm_errf(err, -errno, "VM '%s': cannot bind the device %s: %s", vm->cfg.name,
					g->dev_path[i], strerror(errno));
	}
	if (!g)
		return 0;
	chans_close(g);   /* the supervisors' channels are fvm's, never the VM's */
	if ((g->sound && sock_tree_child(vm, &g->pulse, err) < 0) ||
	    (g->dbus && sock_tree_child(vm, &g->dbus_sock, err) < 0))
		return err ? err->code : -EIO;
	return g->mode == FVM_GUI_NONE ? 0 : sock_tree_child(vm, &g->x, err);
}

/* the directory @dir below /tmp of the new root @rootfd: there (in the VM's layer if it was not), not a symlink */
static int dir_make(int rootfd, const char *dir)
{
	_cleanup_close_ int tmp = vm_openat(rootfd, "tmp", O_PATH | O_DIRECTORY,
					    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);

	if (tmp < 0)
		return tmp;
	if (strncmp(dir, "tmp/", 4) || strchr(dir + 4, '/'))
		return -EINVAL;
	if (mkdirat(tmp, dir + 4, 01777) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/**
 * sockdir_mount() - in the VM's first process, on its new root @rootfd: a
 * small tmpfs on @dir (made in the VM's layer if it is not there, never
 * through a symlink) with the socket of @sb as @name and, unless @file is
 * NULL, a file @file (mode 0644) holding @len bytes of @data; then, if
 * @ro, read-only.
 *
 * Return: 0, or -errno.
 */
int sockdir_mount(int rootfd, const char *dir, const struct sock_bind *sb, const char *name,
		  const char *file, const void *data, size_t len, bool ro)
{
	static const char *const opts[] = { "mode", "0755", "size", "64k", NULL };
	struct mount_attr rdonly = { .attr_set = MOUNT_ATTR_RDONLY };
	struct mount_attr sa = { .attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
	_cleanup_close_ int d = -1;
	int f, r;

	r = dir_make(rootfd, dir);
	if (r == 0)
		r = mount_tmpfs_at(rootfd, dir, opts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
	if (r < 0)
		return r;
	d = vm_openat(rootfd, dir, O_RDONLY | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
	if (d < 0)
		return d;
	f = openat(d, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666);
	if (f < 0 || close(f) < 0 ||
	    syscall(SYS_mount_setattr, sb->tree, "", AT_EMPTY_PATH, &sa, sizeof(sa)) < 0)
		return -errno;
	r = mount_attach_at(sb->tree, d, name);
	if (r < 0)
		return r;
	f = file ? openat(d, file, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644) : -2;
	if (f == -1 || (f >= 0 && (write_all(f, data, len) < 0 || close(f) < 0)) ||
	    (ro && syscall(SYS_mount_setattr, d, "", AT_EMPTY_PATH, &rdonly, sizeof(rdonly)) < 0))
		return -errno;
	return 0;
}

/**
 * gui_mount() - in the VM's first process, on its new root @rootfd before
 * the pivot: a tmpfs on /tmp/.X11-unix with the socket as X<N> (or
 * wayland-0) and the cookie as Xauthority, then read-only; the sound
 * server's socket (sound_mount()).
 *
 * Return: 0, or -errno with @err filled.
 */
int gui_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err)
{
	const struct gui_boot *g = vm->gui;
	char name[16];
	int r;

	if (!g)
		return 0;
	if (g->mode != FVM_GUI_NONE) {
		if (g->mode == FVM_GUI_WAYLAND)
			snprintf(name, sizeof(name), "wayland-0");
		else
			snprintf(name, sizeof(name), "X%u", g->vm_display);
		r = sockdir_mount(rootfd, VM_XDIR, &g->x, name,
				  g->mode == FVM_GUI_WAYLAND ? NULL : "Xauthority", g->xauth, g->xauth_len, true);
		if (r < 0)
			return fvm_errf(err, r, "VM '%s': --gui: cannot make /tmp/.X11-unix with the display's socket: %s",
					vm->cfg.name, strerror(-r));
	}
	r = sound_mount(vm, rootfd, err);
	return r < 0 ? r : dbus_mount(vm, rootfd, err);
}

/**
 * gui_devices_bind() - in the VM's first process: each --device node (see
 * gui_child_open()) on its path in the VM's new /dev, @devfd.
 *
 * Return: 0, or -errno.
 */
int gui_devices_bind(const struct fvm_vm *vm, int devfd)
{
	const struct gui_boot *g = vm->gui;

	for (size_t i = 0; g && i < g->ndev; i++) {
		const char *rel = g->dev_path[i] + 5;   /* below "/dev/" */
		const char *slash = strrchr(rel, '/');
		int f, r;

		if (slash) {
			char dir[DEVICE_PATH_MAX];

			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - rel), rel);
			r = mkdirat_p(devfd, dir, 0755);
			if (r < 0)
				return r;
		}
		f = openat(devfd, rel, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f < 0)
			return -errno;
		close(f);
		r = mount_attach_at(g->dev_tree[i], devfd, rel);
		if (r < 0)
			return r;
	}
	return 0;
}

/**
 * gui_stop() - after the VM's init is gone, wait until its nested server's
 * supervisor (run/gui.pid) is gone too; it stops the server itself.
 */
void gui_stop(struct fvm_vm *vm)
{
	recorded_wait_gone(vm->dirfd, "run/gui.pid", GUI_STOP_MS + 1000, GUI_STOP_MS);
	recorded_wait_gone(vm->dirfd, "run/dbus.pid", GUI_STOP_MS + 1000, GUI_STOP_MS);
	recorded_wait_gone(vm->dirfd, "run/clip.pid", GUI_STOP_MS + 1000, GUI_STOP_MS);
}

/**
 * gui_env_read() - the environment a program of the running @vm gets for
 * its display and sound (run/gui.env, fvm's own file), or NULL without one.
 */
char **gui_env_read(struct fvm_vm *vm)
{
	_cleanup_free_ char *buf = NULL;
	char **v = NULL, *line, *save = NULL;
	size_t n = 0, k = 0, nv = 0;

	if ((vm->cfg.gui == FVM_GUI_NONE && !vm->cfg.sound && !vm->cfg.ndbus_talk) || read_small_fileat(vm->dirfd, "run/gui.env", &buf, &n) < 0)
		return NULL;
	for (line = strtok_r(buf, "\n", &save); line && k < 8; line = strtok_r(NULL, "\n", &save), k++)
		if (strv_push(&v, &nv, line) < 0)
			break;
	return v;
}

/**
 * gui_env_apply() - in the program's process: DISPLAY and XAUTHORITY
 * (or WAYLAND_DISPLAY), PULSE_SERVER and PULSE_COOKIE of @env
 * (gui_env_read()); a caller's WAYLAND_DISPLAY would name a socket the
 * VM does not have, so toolkits would try it first: it goes.
 */
void gui_env_apply(char *const *env, enum fvm_gui mode)
{
	if (!env)
		return;
	if (mode == FVM_GUI_WAYLAND) {   /* toolkits try X first where DISPLAY is set */
		unsetenv("DISPLAY");
		unsetenv("XAUTHORITY");
	} else if (mode != FVM_GUI_NONE) {   /* --sound alone: the display is as it was */
		unsetenv("WAYLAND_DISPLAY");
	}
	for (; *env; env++)
		putenv(*env);
}
