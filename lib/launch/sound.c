// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * sound.c - --sound pulse: the caller's sound server in a VM.
 *
 * Theory of operation. A VM with sound gets one socket of the host, by
 * path: the native socket of the caller's PulseAudio or PipeWire-pulse
 * server ($PULSE_SERVER if it names a unix socket, else
 * $XDG_RUNTIME_DIR/pulse/native), which fvm resolves on the host without
 * following symlinks, checks to be a socket and binds, that file alone,
 * on /tmp/.fvm-pulse/native: a small tmpfs of fvm's (mode 0755, the VM's
 * root's), next to the server's cookie (/tmp/.fvm-pulse/cookie) if it has
 * one. Not read-only: libpulse opens the cookie for writing and falls back
 * to reading only on EACCES, not EROFS; the VM's root may change its own
 * copy, nothing of the host's. Every program
 * fvm runs in the VM gets PULSE_SERVER and PULSE_COOKIE naming them.
 * Nothing else of $XDG_RUNTIME_DIR (not the rest of pulse/, not the
 * session bus, not the compositor), and no abstract socket: PulseAudio
 * uses none, and a VM with --net host may not reach the host's (Landlock).
 *
 * Who is let in. The server admits a client that shows its cookie, or
 * whose uid (SO_PEERCRED, as the server's namespace sees it) is the
 * server's own: rootless, the VM's root is the caller; every other uid of
 * a VM, and as root all of them, are others and need the cookie. So as
 * root the socket must be open to others (PulseAudio makes it so, 0777).
 *
 * What a client can do there: what the server lets any of its clients do
 * (play, record from the microphone, list and move the other clients'
 * streams): sound is off unless asked for by name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "launch/launch.h"
#include "util/util.h"

#define VM_PULSE_DIR "tmp/.fvm-pulse"
#define VM_PULSE_SERVER "unix:/tmp/.fvm-pulse/native"
#define VM_PULSE_COOKIE "/tmp/.fvm-pulse/cookie"

/* the server's socket, by path on the host, into @buf */
static int server_path(const struct fvm_vm *vm, char *buf, size_t size, struct fvm_error *err)
{
	const char *ps = getenv("PULSE_SERVER"), *rt = getenv("XDG_RUNTIME_DIR");
	int k;

	if (ps && *ps) {
		if (!strncmp(ps, "unix:", 5))
			ps += 5;
		if (*ps != '/' || strchr(ps, ' '))
			return fvm_errf(err, -EINVAL, "VM '%s': --sound pulse: PULSE_SERVER '%.100s' is not a local socket (unix:/PATH): unset it to use $XDG_RUNTIME_DIR/pulse/native",
					vm->cfg.name, ps);
		k = snprintf(buf, size, "%s", ps);
	} else if (rt && *rt == '/') {
		k = snprintf(buf, size, "%s/pulse/native", rt);
	} else {
		return fvm_errf(err, -EINVAL, "VM '%s': --sound pulse needs XDG_RUNTIME_DIR (an absolute path) or PULSE_SERVER=unix:PATH: run it from your desktop session, or fvm config %s --sound none",
				vm->cfg.name, vm->cfg.name);
	}
	if ((size_t)k >= size)
		return fvm_errf(err, -ENAMETOOLONG, "VM '%s': --sound pulse: the sound server's socket path is too long",
				vm->cfg.name);
	return 0;
}

/* the cookie's path: $PULSE_COOKIE, else the server's default places; -ENOENT: none */
static int cookie_open(void)
{
	const char *pc = getenv("PULSE_COOKIE"), *xc = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char path[3][4096];
	int n = 0;

	if (pc && *pc == '/')
		return host_path_open(pc, O_RDONLY | O_NONBLOCK);
	if (xc && *xc == '/')
		snprintf(path[n++], sizeof(path[0]), "%s/pulse/cookie", xc);
	if (home && *home == '/') {
		snprintf(path[n++], sizeof(path[0]), "%s/.config/pulse/cookie", home);
		snprintf(path[n++], sizeof(path[0]), "%s/.pulse-cookie", home);
	}
	for (int i = 0; i < n; i++) {
		int fd = host_path_open(path[i], O_RDONLY | O_NONBLOCK);

		if (fd != -ENOENT)
			return fd;
	}
	return -ENOENT;
}

/* the server's cookie into @g (none: PipeWire-pulse, or a server without one); owned by @owner */
static int cookie_read(const struct fvm_vm *vm, struct gui_boot *g, uid_t owner, struct fvm_error *err)
{
	_cleanup_close_ int fd = cookie_open();
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n = 0;
	int r;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		r = fd < 0 ? fd : -errno;
	else if (!S_ISREG(st.st_mode) || st.st_size > PULSE_COOKIE_MAX)
		r = -EINVAL;
	else if (st.st_uid != owner && st.st_uid != getuid())
		r = -EPERM;
	else
		r = read_fd_bounded(fd, PULSE_COOKIE_MAX, (size_t)st.st_size, &buf, &n);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --sound pulse: cannot use the sound server's cookie ($PULSE_COOKIE, ~/.config/pulse/cookie): %s",
				vm->cfg.name, r == -EINVAL ? "not a file of at most 256 bytes" :
				r == -EPERM ? "neither yours nor the server's" :
				r == -ELOOP ? "a symlink, which fvm does not follow" : strerror(-r));
	memcpy(g->pulse_cookie, buf, n);
	g->pulse_cookie_len = n;
	return 0;
}

/**
 * sound_start() - before the VM's first process exists: with --sound
 * pulse, the sound server's socket and cookie in @g (see the top of this
 * file); as root, the socket's bind mount.
 *
 * Return: 0 (also without --sound), or -errno with @err filled.
 */
int sound_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err)
{
	char path[sizeof(g->pulse.host)];
	int r;

	if (!vm->cfg.sound)
		return 0;
	r = server_path(vm, path, sizeof(path), err);
	if (r < 0)
		return r;
	r = sock_check(&g->pulse, path, (uid_t)-1);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --sound pulse: the sound server's socket %s: %s (is PulseAudio or PipeWire-pulse running? or fvm config %s --sound none)",
				vm->cfg.name, path,
				r == -ELOOP ? "a symlink, which fvm does not follow" : strerror(-r), vm->cfg.name);
	if (!vm->cfg.rootless && !(g->pulse.mode & S_IWOTH))
		return fvm_errf(err, -EACCES, "VM '%s': --sound pulse: the sound server's socket %s is not open to other users (mode %04o), and a root-mode VM's users are uids of their own: run the VM rootless (fvm as your user)",
				vm->cfg.name, path, (unsigned)(g->pulse.mode & 07777));
	r = cookie_read(vm, g, g->pulse.uid, err);
	if (r < 0)
		return r;
	g->sound = true;
	return sock_tree_host(vm, &g->pulse, err);
}

/**
 * sound_env() - PULSE_SERVER (and PULSE_COOKIE) lines for run/gui.env,
 * into @buf of @size bytes.
 *
 * Return: their length (0 without --sound, or if they do not fit).
 */
size_t sound_env(const struct gui_boot *g, char *buf, size_t size)
{
	int k;

	if (!g->sound)
		return 0;
	k = snprintf(buf, size, "PULSE_SERVER=%s\n%s%s%s", VM_PULSE_SERVER,
		     g->pulse_cookie_len ? "PULSE_COOKIE=" : "", g->pulse_cookie_len ? VM_PULSE_COOKIE : "",
		     g->pulse_cookie_len ? "\n" : "");
	return k < 0 || (size_t)k >= size ? 0 : (size_t)k;
}

/**
 * sound_mount() - in the VM's first process, on its new root @rootfd
 * before the pivot: /tmp/.fvm-pulse with the server's socket as native and
 * its cookie as cookie.
 *
 * Return: 0 (also without --sound), or -errno with @err filled.
 */
int sound_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err)
{
	const struct gui_boot *g = vm->gui;
	int r;

	if (!g || !g->sound)
		return 0;
	r = sockdir_mount(rootfd, VM_PULSE_DIR, &g->pulse, "native",
			  g->pulse_cookie_len ? "cookie" : NULL, g->pulse_cookie, g->pulse_cookie_len, false);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --sound: cannot make /tmp/.fvm-pulse with the sound server's socket: %s",
				vm->cfg.name, strerror(-r));
	return 0;
}
