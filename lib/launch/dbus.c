// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * dbus.c - --dbus-talk NAME: a filtered way to the caller's session bus.
 *
 * Theory of operation. A VM has no session bus by default. With
 * --dbus-talk names, every boot starts, on the host, xdg-dbus-proxy
 * --filter --talk=NAME... for the caller's bus (DBUS_SESSION_BUS_ADDRESS,
 * a unix:path= address, resolved without following symlinks), and in
 * front of it a relay of fvm's, whose socket the VM gets, that one file,
 * as /tmp/.fvm-dbus/bus (DBUS_SESSION_BUS_ADDRESS names it). The proxy
 * lets the VM call the named services only, and hides every other name
 * (ListNames, NameHasOwner...); it passes the authentication handshake
 * through unchanged.
 *
 * Why the relay. A client authenticates with AUTH EXTERNAL <its uid in
 * hex>, the uid it has in the VM (0 for the VM's root); the bus checks
 * that claim against the credentials of the socket it accepted, which are
 * the proxy's: the bus's own user. A VM's uid is never that, so the bus
 * would refuse every VM client. The relay rewrites the client's side of
 * the handshake only, line by line until BEGIN: an identity that AUTH
 * EXTERNAL or DATA carries becomes the bus owner's uid (without one the
 * bus takes the socket's, the proxy's, the same), any other mechanism is replaced by one the
 * bus rejects (so the client falls back to EXTERNAL), NEGOTIATE_UNIX_FD is
 * answered with an ERROR by the bus (the relay passes no fds); at most
 * 16 KiB of lines. From BEGIN on bytes pass unchanged both ways, and the
 * proxy filters the messages. Who can connect: the VM's users; what they
 * get: the named services, as the bus's user would call them.
 *
 * Processes. Both run under the supervisor of xephyr.c (helper_spawn()),
 * outside every namespace of the VM, and stop when the VM's init exits:
 * the relay ("fvm-dbus"), as the bus socket's owner, starts the proxy
 * (parent-death signal; it stops too when the relay's end of its --fd
 * socket closes), then serves each connection in a child of its own,
 * which as root first drops to the VM's root uid (it parses what the VM
 * sends). Their sockets are in run/dbus/ of the VM's directory, which the
 * VM never sees; the relay's children connect to the proxy's by name
 * from an fd of that directory (dbus_dir()).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch/launch.h"
#include "policy/policy.h"
#include "util/util.h"

#define VM_DBUS_DIR "tmp/.fvm-dbus"
#define VM_DBUS_ADDRESS "unix:path=/tmp/.fvm-dbus/bus"
#define AUTH_MAX (16 * 1024)
#define PROXY_BIN "/usr/bin/xdg-dbus-proxy"

/* the bus's socket path of DBUS_SESSION_BUS_ADDRESS (its first address) into @buf */
static int bus_path(const struct fvm_vm *vm, char *buf, size_t size, struct fvm_error *err)
{
	const char *a = getenv("DBUS_SESSION_BUS_ADDRESS");
	size_t n;

	if (!a || strncmp(a, "unix:path=/", 11))
		return fvm_errf(err, -EINVAL, "VM '%s': --dbus-talk needs DBUS_SESSION_BUS_ADDRESS=unix:path=/PATH (your session bus), not '%.100s': run it from your desktop session, or fvm config %s --dbus-talk none",
				vm->cfg.name, a ? a : "", vm->cfg.name);
	a += 10;
	n = strcspn(a, ",;");
	if (n >= size || memchr(a, '%', n))
		return fvm_errf(err, -EINVAL, "VM '%s': --dbus-talk: the session bus's path in DBUS_SESSION_BUS_ADDRESS is too long or escaped",
				vm->cfg.name);
	memcpy(buf, a, n);
	buf[n] = '\0';
	return 0;
}

/* One line of the client's handshake (without \r\n) as the bus gets it, into @out. */
static size_t auth_rewrite(const char *line, size_t len, uid_t uid, char *out, size_t size)
{
	char hex[32], dec[16];
	int k, i;

	k = snprintf(dec, sizeof(dec), "%u", (unsigned)uid);
	for (i = 0; i < k; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)dec[i]);
	if (len == 13 && !strncmp(line, "AUTH EXTERNAL", 13))   /* no identity: the socket's */
		k = snprintf(out, size, "AUTH EXTERNAL\r\n");
	else if (len > 13 && !strncmp(line, "AUTH EXTERNAL ", 14))
		k = snprintf(out, size, "AUTH EXTERNAL %s\r\n", hex);
	else if (len > 4 && !strncmp(line, "AUTH ", 5))
		k = snprintf(out, size, "AUTH X-FVM-ONLY-EXTERNAL\r\n");
	else if (len > 4 && !strncmp(line, "DATA ", 5))
		k = snprintf(out, size, "DATA %s\r\n", hex);
	else if (len == 17 && !strncmp(line, "NEGOTIATE_UNIX_FD", 17))
		k = snprintf(out, size, "X-FVM-NO-UNIX-FD\r\n");
	else
		k = snprintf(out, size, "%.*s\r\n", (int)len, line);
	return k < 0 || (size_t)k >= size ? 0 : (size_t)k;
}

/**
 * dbus_auth_filter() - the client's bytes @buf (@*len of them) up to
 * BEGIN, each line rewritten (see the top of this file) with @uid and
 * written to @bus; what follows BEGIN, or an unfinished line, stays in
 * @buf. *@nul_seen: the leading NUL byte was passed.
 *
 * Return: 1 after BEGIN, 0 for more, -1 to drop the connection (no NUL
 * first, a NUL in a line, a line over 512 bytes, a write that failed).
 */
int dbus_auth_filter(char *buf, size_t *len, bool *nul_seen, int bus, uid_t uid)
{
	size_t off = 0;
	int done = 0;

	if (!*nul_seen && *len) {
		if (buf[0] != '\0' || write_all(bus, "", 1) < 0)
			return -1;
		*nul_seen = true;
		off = 1;
	}
	while (!done) {
		char *nl = memmem(buf + off, *len - off, "\r\n", 2), out[600];
		size_t l, n;

		if (!nl)
			break;
		l = (size_t)(nl - (buf + off));
		if (l > 512 || memchr(buf + off, '\0', l))
			return -1;
		n = auth_rewrite(buf + off, l, uid, out, sizeof(out));
		if (!n || write_all(bus, out, n) < 0)
			return -1;
		done = l == 5 && !strncmp(buf + off, "BEGIN", 5);
		off += l + 2;
	}
	memmove(buf, buf + off, *len - off);
	*len -= off;
	return done ? 1 : (*len > 512 ? -1 : 0);
}

/* Copy what @from has to @to; at its end, end @to's writing too. Return: 0, 1 at the end, -1 on an error. */
static int pass(int from, int to, char *buf, size_t size)
{
	ssize_t n = read(from, buf, size);

	if (n == 0)
		return shutdown(to, SHUT_WR) < 0 ? -1 : 1;
	return n < 0 || write_all(to, buf, (size_t)n) < 0 ? -1 : 0;
}

/* The client's bytes on @c: through dbus_auth_filter() until BEGIN, then as they are. Return: as pass(). */
static int from_client(int c, int b, char *buf, size_t size, size_t *len, size_t *total, bool *nul,
		       bool *authed, uid_t bus_uid)
{
	ssize_t n;
	int r;

	if (*authed)
		return pass(c, b, buf, size);
	n = read(c, buf + *len, size - *len);
	if (n <= 0 || (*total += (size_t)n) > AUTH_MAX)
		return -1;   /* a client gone before BEGIN, or one that never ends it */
	*len += (size_t)n;
	r = dbus_auth_filter(buf, len, nul, b, bus_uid);
	if (r < 0 || (r == 1 && *len && write_all(b, buf, *len) < 0))
		return -1;
	if (r == 1)
		*authed = true, *len = 0;
	return 0;
}

/* A connection's child: the handshake rewritten, then both ways unchanged. Never returns. */
_Noreturn static void relay_conn(const struct fvm_vm *vm, int c, uid_t bus_uid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[AUTH_MAX], sbuf[4096];
	size_t len = 0, total = 0;
	bool nul = false, authed = false;
	struct pollfd p[2] = { { .fd = c, .events = POLLIN }, { .events = POLLIN } };
	int b = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/4/proxy");
	if (b < 0 || connect(b, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		_exit(1);
	/* as root: what the VM sends is parsed as the VM's root uid */
	if (!vm->cfg.rootless && geteuid() == 0 &&
	    (setgroups(0, NULL) < 0 || setresgid(vm->cfg.uid_base, vm->cfg.uid_base, vm->cfg.uid_base) < 0 ||
	     setresuid(vm->cfg.uid_base, vm->cfg.uid_base, vm->cfg.uid_base) < 0))
		_exit(1);
	prctl(PR_SET_PDEATHSIG, SIGKILL);   /* after the change of uid, which clears it */
	p[1].fd = b;
	while (p[0].fd >= 0 || p[1].fd >= 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (p[1].revents) {
			r = pass(b, c, sbuf, sizeof(sbuf));
			if (r < 0)
				_exit(0);
			if (r == 1)
				p[1].fd = -1;
		}
		if (p[0].revents) {
			r = from_client(c, b, buf, sizeof(buf), &len, &total, &nul, &authed, bus_uid);
			if (r < 0 && !authed)   /* the bus's answers so far still go to the client */
				r = shutdown(b, SHUT_WR) < 0 ? -1 : 1;
			if (r < 0)
				_exit(0);
			if (r == 1)
				p[0].fd = -1;
		}
	}
	_exit(0);
}

/* Become the proxy: fd 3 its --fd socket, the bus's path in h->display. */
_Noreturn static void proxy_exec(const struct fvm_vm *vm, const struct helper *h)
{
	char *argv[MAX_DBUS_TALK + 8], bus[160], talk[MAX_DBUS_TALK][DBUS_NAME_MAX + 8];
	char *envp[] = { "PATH=/usr/bin:/bin", NULL };
	size_t n = 0;

	snprintf(bus, sizeof(bus), "unix:path=%s", h->bus);
	argv[n++] = "xdg-dbus-proxy";
	argv[n++] = "--fd=3";
	argv[n++] = bus;
	argv[n++] = "/proc/self/fd/4/proxy";
	argv[n++] = "--filter";
	for (size_t i = 0; i < vm->cfg.ndbus_talk && i < MAX_DBUS_TALK; i++) {
		snprintf(talk[i], sizeof(talk[i]), "--talk=%s", vm->cfg.dbus_talk[i]);
		argv[n++] = talk[i];
	}
	argv[n] = NULL;
	umask(0);   /* its socket: for the relay's children, in a directory of their uid only */
	execve(PROXY_BIN, argv, envp);
	dprintf(2, "fvm: cannot run %s: %s%s\n", PROXY_BIN, strerror(errno),
		errno == ENOENT ? " (install the xdg-dbus-proxy package)" : "");
	_exit(127);
}

/*
 * The relay: fds 3 its listening socket, 4 run/dbus, 5 where it says it is
 * ready. Starts the proxy, then serves connections until stopped.
 */
_Noreturn static void relay_exec(const struct fvm_vm *vm, const struct helper *h)
{
	int sp[2], bus_uid = (int)h->uid;
	pid_t proxy;
	char x = 0;

	prctl(PR_SET_NAME, "fvm-dbus");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		_exit(1);
	proxy = fork();
	if (proxy == 0) {
		int keep[] = { 0, 1, 2, sp[1], 4 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fds_arrange(keep, 5) < 0)
			_exit(1);
		proxy_exec(vm, h);
	}
	close(sp[1]);
	if (proxy < 0 || read(sp[0], &x, 1) != 1 || x != 'x' || write_all(5, "x", 1) < 0)
		_exit(1);
	close(5);
	signal(SIGCHLD, SIG_IGN);   /* connection children reap themselves */
	for (;;) {
		int c = accept4(3, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			_exit(1);
		}
		if (fork() == 0) {
			close(3);
			close(sp[0]);
			relay_conn(vm, c, (uid_t)bus_uid);
		}
		close(c);
	}
}

/*
 * run/dbus: the relay's and the proxy's sockets, in a directory of the bus
 * owner's @owner (who the proxy runs as, as root), mode 0711: the relay's
 * children, as root the VM's root uid, reach the proxy's socket by name
 * from an fd of it; nobody lists it, and the store around it is fvm's.
 */
static int dbus_dir(const struct fvm_vm *vm, uid_t owner, gid_t group)
{
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int d;

	if (run < 0)
		return -errno;
	if (mkdirat(run, "dbus", 0700) < 0 && errno != EEXIST)
		return -errno;
	d = openat(run, "dbus", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0)
		return -errno;
	unlinkat(d, "relay", 0);
	unlinkat(d, "proxy", 0);
	if ((!vm->cfg.rootless && fchown(d, owner, group) < 0) || fchmod(d, 0711) < 0) {
		close(d);
		return -errno;
	}
	return d;
}

/* the relay's listening socket, run/dbus/relay, open to the VM's users */
static int relay_listen(int dir)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "/proc/self/fd/%d/relay", dir);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    fchmodat(dir, "relay", 0666, 0) < 0 || listen(s, 64) < 0) {
		int e = errno;

		if (s >= 0)
			close(s);
		return -e;
	}
	return s;
}

/**
 * dbus_start() - before the VM's first process exists: with --dbus-talk,
 * the proxy and the relay (see the top of this file) up, the relay's
 * socket in g->dbus_sock, the channel to their supervisor in g->dbus_sup.
 *
 * Return: 0 (also without --dbus-talk), or -errno with @err filled and
 * nothing left running.
 */
int dbus_start(struct fvm_vm *vm, struct gui_boot *g, struct fvm_error *err)
{
	struct sock_bind bus = { .tree = -1 };
	struct helper h = { .exec = relay_exec };
	char path[sizeof(bus.host)], relay[sizeof(bus.host)];
	_cleanup_close_ int dir = -1, lfd = -1, log = -1;
	int rp[2] = { -1, -1 }, r;
	struct pollfd p;
	char x = 0;

	if (!vm->cfg.ndbus_talk)
		return 0;
	r = bus_path(vm, path, sizeof(path), err);
	if (r < 0)
		return r;
	r = sock_check(&bus, path, (uid_t)-1);
	if (r == 0 && vm->cfg.rootless && bus.uid != getuid())
		r = -EPERM;
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --dbus-talk: the session bus's socket %s: %s", vm->cfg.name, path,
				r == -ELOOP ? "a symlink, which fvm does not follow" :
				r == -EPERM ? "not yours" : strerror(-r));
	h.uid = bus.uid;
	h.gid = bus.gid;
	h.bus = path;
	dir = dbus_dir(vm, bus.uid, bus.gid);
	lfd = dir < 0 ? dir : relay_listen(dir);
	log = helper_log(vm, "dbus.log");
	if (lfd < 0 || log < 0 || pipe2(rp, O_CLOEXEC) < 0)
		return fvm_errf(err, lfd < 0 ? lfd : -EIO, "VM '%s': --dbus-talk: cannot make the relay's socket in %s/run/dbus: %s",
				vm->cfg.name, vm->dir, strerror(lfd < 0 ? -lfd : errno));
	{
		int fds[3] = { lfd, dir, rp[1] };

		r = helper_spawn(vm, &h, fds, 3, log, "dbus.pid", &g->dbus_sup);
	}
	close(rp[1]);
	p = (struct pollfd){ .fd = rp[0], .events = POLLIN };
	if (r == 0 && (poll(&p, 1, GUI_READY_MS) != 1 || read(rp[0], &x, 1) != 1 || x != 'x'))
		r = -ETIMEDOUT;
	close(rp[0]);
	if (r == 0 && (size_t)snprintf(relay, sizeof(relay), "%s/run/dbus/relay", vm->dir) >= sizeof(relay))
		r = -ENAMETOOLONG;
	if (r == 0)
		r = sock_check(&g->dbus_sock, relay, (uid_t)-1);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --dbus-talk: the bus proxy (xdg-dbus-proxy) did not start: %s (see %s/run/dbus.log)",
				vm->cfg.name, strerror(-r), vm->dir);
	g->dbus = true;
	return sock_tree_host(vm, &g->dbus_sock, err);
}

/**
 * dbus_env() - the DBUS_SESSION_BUS_ADDRESS line for run/gui.env, into
 * @buf of @size bytes.
 *
 * Return: its length (0 without --dbus-talk, or if it does not fit).
 */
size_t dbus_env(const struct gui_boot *g, char *buf, size_t size)
{
	int k;

	if (!g->dbus)
		return 0;
	k = snprintf(buf, size, "DBUS_SESSION_BUS_ADDRESS=%s\n", VM_DBUS_ADDRESS);
	return k < 0 || (size_t)k >= size ? 0 : (size_t)k;
}

/**
 * dbus_mount() - in the VM's first process, on its new root @rootfd
 * before the pivot: /tmp/.fvm-dbus with the relay's socket as bus,
 * read-only.
 *
 * Return: 0 (also without --dbus-talk), or -errno with @err filled.
 */
int dbus_mount(const struct fvm_vm *vm, int rootfd, struct fvm_error *err)
{
	const struct gui_boot *g = vm->gui;
	int r;

	if (!g || !g->dbus)
		return 0;
	r = sockdir_mount(rootfd, VM_DBUS_DIR, &g->dbus_sock, "bus", NULL, NULL, 0, true);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': --dbus-talk: cannot make /tmp/.fvm-dbus with the bus's socket: %s",
				vm->cfg.name, strerror(-r));
	return 0;
}
