// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * config.c - checking and changing a VM's settings (create, fvm config):
 * path policies, published ports, resource limits, profile. Everything is
 * checked here, before it is stored, so a config on disk is always one
 * that boots.
 *
 * Effective policies: the defaults (/run private, so host daemons'
 * sockets are out of reach unless shared; with the "untrusted" profile,
 * the owner's keys, keyrings and browser profiles hidden, and the host's
 * password hashes, SSH host keys and other users' homes), then the VM's
 * own, which replace a default on the same path. Most specific path wins:
 * they are applied parents first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "util/util.h"

static const char *const untrusted_hides[] = {
	".ssh", ".gnupg", ".password-store", ".local/share/keyrings", ".aws", ".kube",
	".docker", ".mozilla", ".config/google-chrome", ".config/chromium",
	".config/BraveSoftware", ".thunderbird", ".netrc",
};

/* the host's secrets, hidden with the untrusted profile (and ssh_host_*_key) */
static const char *const untrusted_host_hides[] = { "/etc/shadow", "/etc/gshadow", "/etc/shadow-",
						     "/etc/gshadow-" };

static const char *const kind_names[] = { "cow", "hide", "ro", "share", "private" };

const char *policy_name(enum fvm_policy_kind k)
{
	return (unsigned)k < ARRAY_SIZE(kind_names) ? kind_names[k] : "?";
}

static const char *const gui_names[] = { "none", "x11", "x11-host", "wayland" };

const char *gui_name(enum fvm_gui g)
{
	return (unsigned)g < ARRAY_SIZE(gui_names) ? gui_names[g] : "?";
}

int gui_parse_name(const char *s, enum fvm_gui *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(gui_names); i++)
		if (!strcmp(s, gui_names[i])) {
			*ret = (enum fvm_gui)i;
			return 0;
		}
	return -EINVAL;
}

int policy_parse_name(const char *s, enum fvm_policy_kind *ret)
{
	for (size_t i = 0; i < ARRAY_SIZE(kind_names); i++)
		if (!strcmp(s, kind_names[i])) {
			*ret = (enum fvm_policy_kind)i;
			return 0;
		}
	return -EINVAL;
}

static int share_owner_check(const char *path, struct fvm_error *err);

static int check_policy(const struct vm_config *c, const struct fvm_policy *p,
			struct fvm_error *err)
{
	const char *s = p->path;
	int r;

	if (!s || *s != '/' || strstr(s, "/../") || strstr(s, "/./") || strstr(s, "//") ||
	    strlen(s) >= PATH_MAX || (strlen(s) >= 3 && !strcmp(s + strlen(s) - 3, "/..")) ||
	    (strlen(s) > 1 && s[strlen(s) - 1] == '/'))
		return fvm_errf(err, -EINVAL, "bad path '%.200s' for --%s: use an absolute path without '.', '..' or a trailing '/'",
				s ? s : "", policy_name(p->kind));
	if (!strcmp(s, "/") && p->kind != FVM_POLICY_RO)
		return fvm_errf(err, -EINVAL, "--%s / is not possible: only --ro / is", policy_name(p->kind));
	if (path_has_prefix(s, "/proc") || path_has_prefix(s, "/sys") || path_has_prefix(s, "/dev"))
		return fvm_errf(err, -EINVAL, "--%s %s: /proc, /sys and /dev are the VM's own, not host paths",
				policy_name(p->kind), s);
	if (p->kind == FVM_POLICY_COW)
		return 0;
	r = policy_check_host(NULL, p->kind, s, err);
	if (r == 0 && p->kind == FVM_POLICY_SHARE && !c->rootless)
		r = share_owner_check(s, err);
	return r;
}

/* The error for @path of policy @k, whose component @link is a symlink. */
static int symlink_error(const char *vm, enum fvm_policy_kind k, const char *path,
			 const char *link, struct fvm_error *err)
{
	if (!vm)
		return fvm_errf(err, -ELOOP, "--%s %s: %s is a symlink on the host, and fvm follows none; name the real path",
				policy_name(k), path, link);
	return fvm_errf(err, -ELOOP, "VM '%s': its policy --%s %s no longer holds: %s is a symlink on the host now, and fvm follows none; put the directory back, or change the policy with 'fvm config %s' (--cow %s, and the real path)",
			vm, policy_name(k), path, link, vm, path);
}

/**
 * policy_check_host() - does policy path @path still name what it named?
 * @vm: the VM's name at boot, NULL at create (for the message)
 *
 * No component may be a symlink on the host (fvm follows none, so a
 * policy through one would silently apply elsewhere, or not at all): for
 * --hide only the last may be (the whiteout hides the link). --share,
 * --ro and --private need the path to exist at create, --private as a
 * directory; at boot a path that went away is left to the VM's view
 * (--share reports it when it binds).
 *
 * Return: 0, or -errno with @err filled.
 */
int policy_check_host(const char *vm, enum fvm_policy_kind k, const char *path,
		      struct fvm_error *err)
{
	char link[PATH_MAX] = "a component", parent[PATH_MAX];
	_cleanup_close_ int fd = -1;
	const char *what = path;
	struct stat st;

	if (k == FVM_POLICY_HIDE) {
		/* the parent, which must exist as a directory of its own */
		snprintf(parent, sizeof(parent), "%s", path);
		*strrchr(parent, '/') = '\0';
		what = parent[0] ? parent : "/";
	}
	fd = host_path_open(what, O_PATH);
	if (fd == -ELOOP) {
		host_path_symlink(what, link, sizeof(link));
		return symlink_error(vm, k, path, link, err);
	}
	if (k == FVM_POLICY_HIDE || (vm && fd == -ENOENT))
		return 0;   /* nothing there to hide or to bind: nothing reached */
	if (fd < 0)
		return vm ? fvm_errf(err, fd, "VM '%s': its policy --%s %s: %s on the host",
				     vm, policy_name(k), path, strerror(-fd)) :
			    fvm_errf(err, fd, "--%s %s: %s on the host", policy_name(k), path,
				     strerror(-fd));
	if (k == FVM_POLICY_PRIVATE && !vm && (fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode)))
		return fvm_errf(err, -ENOTDIR, "--private %s: not a directory on the host", path);
	return 0;
}

/**
 * share_owner_error() - refuse a root-mode share of a tree owned by the
 * host's root (uid or gid 0)
 * @vm: the VM's name at boot, NULL at create (for the message)
 * @st: the shared path as fstat() gave it on the fd that will be bound
 *
 * As root a share is idmapped so that the VM's root is the shared
 * directory's owner (idmap_userns_open): where that owner is the host's
 * root, the VM's root would write, chown and chmod there as the host's
 * root (a set-uid root binary planted by the VM). fvm does not share such
 * a tree at all: no mapping of it is both safe and what --share means.
 *
 * Return: 0 for a tree owned by a user and group other than root, else
 * -EPERM with @err filled.
 */
int share_owner_error(const char *vm, const char *path, const struct stat *st,
		      struct fvm_error *err)
{
	const char *who = st->st_uid == 0 ? "user root (uid 0)" : "group root (gid 0)";

	if (st->st_uid != 0 && st->st_gid != 0)
		return 0;
	if (!vm)
		return fvm_errf(err, -EPERM, "--share %s: owned by %s on the host; as root, fvm maps the VM's root to the shared directory's owner and group, never to the host's root (the VM could plant root-owned set-uid files there): share a directory owned by a user and group of its own (chown USER:GROUP %s), or leave it copy-on-write",
				path, who, path);
	return fvm_errf(err, -EPERM, "VM '%s': cannot share %s: owned by %s on the host now; as root, fvm maps the VM's root to the shared directory's owner and group, never to the host's root (the VM could plant root-owned set-uid files there): chown it to a user and group of their own (chown USER:GROUP %s), or change the policy with 'fvm config %s --cow %s'",
			vm, path, who, path, vm, path);
}

/* A --share @path at create, as root: owned by a user? */
static int share_owner_check(const char *path, struct fvm_error *err)
{
	_cleanup_close_ int fd = host_path_open(path, O_PATH);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) < 0)
		return 0;   /* policy_check_host said why, or the boot will */
	return share_owner_error(NULL, path, &st, err);
}

/* "8080:80", "8080:80/udp" -> "8080:80/tcp" normalised, or -EINVAL */
static int check_publish(const char *s, char *out, size_t len)
{
	unsigned h, v;
	char proto[8] = "tcp";
	int n = 0;

	if (sscanf(s, "%u:%u%n", &h, &v, &n) != 2 || h < 1 || h > 65535 || v < 1 || v > 65535)
		return -EINVAL;
	if (s[n] == '/') {
		if (strcmp(s + n + 1, "tcp") && strcmp(s + n + 1, "udp"))
			return -EINVAL;
		snprintf(proto, sizeof(proto), "%s", s + n + 1);
	} else if (s[n]) {
		return -EINVAL;
	}
	/* pasta (2023-03, Debian 12) loses UDP replies across a port change */
	if (!strcmp(proto, "udp") && h != v)
		return -EXDEV;
	snprintf(out, len, "%u:%u/%s", h, v, proto);
	return 0;
}

static int set_policies(struct vm_config *c, const struct fvm_vm_opts *o, struct fvm_error *err)
{
	for (size_t i = 0; i < o->npolicies; i++) {
		const struct fvm_policy *p = &o->policies[i];
		size_t k;
		int r = check_policy(c, p, err);

		if (r < 0)
			return r;
		/* COW is stored too: it overrides a default policy on that path */
		for (k = 0; k < c->npolicies && strcmp(c->policies[k].path, p->path); k++)
			;
		if (k < c->npolicies) {
			c->policies[k].kind = p->kind;
			continue;
		}
		if (c->npolicies >= MAX_POLICIES)
			return fvm_errf(err, -E2BIG, "VM '%s': at most %d path policies", c->name, MAX_POLICIES);
		{
			struct policy *nv = realloc(c->policies, (c->npolicies + 1) * sizeof(*nv));

			if (!nv)
				return -ENOMEM;
			c->policies = nv;
			nv[c->npolicies].path = strdup(p->path);
			if (!nv[c->npolicies].path)
				return -ENOMEM;
			nv[c->npolicies++].kind = p->kind;
		}
	}
	return 0;
}

/**
 * dbus_name_ok() - @s is a well-known D-Bus bus name (org.example.Name:
 * two or more elements of [A-Za-z0-9_-], none starting with a digit, at
 * most 255 bytes), or such a name ending in ".*" (its subtree, as
 * xdg-dbus-proxy reads it).
 */
bool dbus_name_ok(const char *s)
{
	size_t n = strlen(s), elems = 1;
	bool start = true;

	if (n > 2 && !strcmp(s + n - 2, ".*"))
		n -= 2;
	if (!n || n > DBUS_NAME_MAX || *s == ':')
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (start)
				return false;
			start = true;
			elems++;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == '-' ||
		      (!start && ch >= '0' && ch <= '9')))
			return false;
		start = false;
	}
	return !start && elems >= 2;
}

static int set_dbus_talk(struct vm_config *c, char *const *names, struct fvm_error *err)
{
	char **v = NULL;
	size_t n = 0;

	for (size_t i = 0; names && names[i]; i++) {
		if (i >= MAX_DBUS_TALK || !dbus_name_ok(names[i])) {
			fvm_strv_free(v);
			return fvm_errf(err, i >= MAX_DBUS_TALK ? -E2BIG : -EINVAL,
					i >= MAX_DBUS_TALK ? "VM '%s': at most 16 --dbus-talk names" :
					"VM '%s': bad --dbus-talk '%.80s': a well-known bus name such as org.freedesktop.Notifications (or a prefix, org.example.*)",
					c->name, names[i]);
		}
		if (strv_push(&v, &n, names[i]) < 0) {
			fvm_strv_free(v);
			return -ENOMEM;
		}
	}
	fvm_strv_free(c->dbus_talk);
	c->dbus_talk = v;
	c->ndbus_talk = n;
	return 0;
}

static int set_publish(struct vm_config *c, char *const *publish, struct fvm_error *err)
{
	size_t n = 0;
	char **v;

	while (publish && publish[n])
		n++;
	if (n > MAX_PUBLISH)
		return fvm_errf(err, -E2BIG, "VM '%s': at most %d published ports", c->name, MAX_PUBLISH);
	v = calloc(n + 1, sizeof(char *));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char norm[32];

		int q = check_publish(publish[i], norm, sizeof(norm));

		if (q == -EXDEV) {
			fvm_strv_free(v);
			return fvm_errf(err, -EINVAL, "--publish '%.40s': a UDP port must keep its number (PORT:PORT/udp): pasta here loses replies otherwise",
					publish[i]);
		}
		if (q < 0 || !(v[i] = strdup(norm))) {
			fvm_strv_free(v);
			return fvm_errf(err, -EINVAL, "bad --publish '%.40s': use HOSTPORT:VMPORT or HOSTPORT:VMPORT/udp (ports 1-65535)",
					publish[i]);
		}
	}
	fvm_strv_free(c->publish);
	c->publish = v;
	c->npublish = n;
	return 0;
}

static int check_limits(const struct vm_config *c, const struct fvm_limits *l, struct fvm_error *err)
{
	if (l->memory && l->memory < 4u << 20)
		return fvm_errf(err, -EINVAL, "--memory must be at least 4M");
	if (l->cpus_milli && (l->cpus_milli < 10 || l->cpus_milli > 1024000))
		return fvm_errf(err, -EINVAL, "--cpus must be between 0.01 and 1024");
	if (l->pids > 4194304 && l->pids != FVM_PIDS_UNLIMITED)
		return fvm_errf(err, -EINVAL, "--pids must be at most 4194304");
	if (l->io_weight && l->io_weight > 10000)
		return fvm_errf(err, -EINVAL, "--io-weight must be between 1 and 10000");
	return 0;
}

/**
 * config_pids() - the pids limit @c stores for @opt (struct fvm_limits):
 * 0 (the default) is FVM_PIDS_DEFAULT, but none rootless, where fvm has
 * no cgroup to enforce it in (a VM never claims a limit it does not have);
 * FVM_PIDS_UNLIMITED is none (0).
 */
unsigned config_pids(const struct vm_config *c, unsigned opt)
{
	if (opt == FVM_PIDS_UNLIMITED)
		return 0;
	if (opt == 0)
		return c->rootless ? 0 : FVM_PIDS_DEFAULT;
	return opt;
}

/**
 * config_apply() - change the fields of @c that @what names to @o's,
 * after checking them all. On error @c may be partly changed: callers
 * apply to a copy or drop the object.
 */
int config_apply(struct vm_config *c, const struct fvm_vm_opts *o, unsigned what,
		 struct fvm_error *err)
{
	int r = 0;

	if (what & FVM_SET_NET) {
		if (o->net != FVM_NET_NONE && o->net != FVM_NET_HOST && o->net != FVM_NET_PRIVATE)
			return fvm_errf(err, -EINVAL, "unknown network mode");
		c->net = o->net;
	}
	if (what & FVM_SET_HOSTNAME)
		snprintf(c->hostname, sizeof(c->hostname), "%s", o->hostname ? o->hostname : c->name);
	if (what & FVM_SET_CAPS)
		c->all_caps = o->all_caps;
	if (what & FVM_SET_SECCOMP) {
		c->no_seccomp = o->no_seccomp;
		c->allow_userns = o->allow_userns && !o->no_seccomp;
	}
	if (what & FVM_SET_PROFILE)
		c->untrusted = o->untrusted;
	if (what & FVM_SET_HOST_LOOPBACK)
		c->host_loopback = o->host_loopback;
	if (what & FVM_SET_GUI) {
		if ((unsigned)o->gui > FVM_GUI_WAYLAND)
			return fvm_errf(err, -EINVAL, "unknown display mode (--gui)");
		c->gui = o->gui;
	}
	if (what & FVM_SET_COW) {
		if (o->cow != FVM_COW_AUTO && o->cow != FVM_COW_KERNEL && o->cow != FVM_COW_FUSE)
			return fvm_errf(err, -EINVAL, "unknown copy-on-write backend");
		if (o->cow == FVM_COW_FUSE && !c->rootless)
			return fvm_errf(err, -EINVAL, "VM '%s': --cow fuse is for rootless VMs: as root every tree is the kernel's overlay, the whole host copy-on-write (use --cow auto or kernel)",
					c->name);
		c->cow = o->cow;
	}
	if (what & FVM_SET_IDS) {
		if ((unsigned)o->ids > FVM_IDS_AUTO)
			return fvm_errf(err, -EINVAL, "unknown id mapping (--ids)");
		c->ids = c->rootless ? o->ids : FVM_IDS_SINGLE;   /* vm.c resolves auto */
	}
	if (what & FVM_SET_NEW_PRIVS)
		c->new_privs = o->new_privs;
	if (what & FVM_SET_SOUND)
		c->sound = o->sound;
	if (what & FVM_SET_CLIPBOARD)
		c->clipboard = o->clipboard;
	if (c->new_privs && c->untrusted)   /* whichever came first: never both */
		return fvm_errf(err, -EINVAL, "VM '%s': the untrusted profile keeps no_new_privs: --no-new-privs off is refused with it (set-uid programs would raise privileges in the VM)",
				c->name);
	if (what & FVM_SET_POLICIES)
		r = set_policies(c, o, err);
	if (r == 0 && (what & FVM_SET_PUBLISH))
		r = set_publish(c, o->publish, err);
	if (r == 0 && (what & FVM_SET_DEVICES))
		r = devices_set(c, o->devices, o->ndevices, err);
	if (r == 0 && (what & FVM_SET_DBUS))
		r = set_dbus_talk(c, o->dbus_talk, err);
	if (r == 0)
		r = check_limits(c, &o->limits, err);
	if (r < 0)
		return r;
	if (what & FVM_SET_MEMORY)
		c->limits.memory = o->limits.memory;
	if (what & FVM_SET_CPUS)
		c->limits.cpus_milli = o->limits.cpus_milli;
	if (what & FVM_SET_PIDS)
		c->limits.pids = config_pids(c, o->limits.pids);
	if (what & FVM_SET_IO_WEIGHT)
		c->limits.io_weight = o->limits.io_weight;
	if (c->npublish && c->net != FVM_NET_PRIVATE)
		return fvm_errf(err, -EINVAL, "VM '%s': --publish needs --net private (clear the ports with --publish none)",
				c->name);
	if (c->clipboard && c->gui != FVM_GUI_X11)
		return fvm_errf(err, -EINVAL, "VM '%s': --clipboard on is for --gui x11, the nested server (x11-host shares your clipboard anyway): give --gui x11, or --clipboard off",
				c->name);
	return 0;
}

void config_release(struct vm_config *c)
{
	policies_free(c->policies, c->npolicies);
	c->policies = NULL;
	c->npolicies = 0;
	fvm_strv_free(c->publish);
	c->publish = NULL;
	c->npublish = 0;
	fvm_strv_free(c->dbus_talk);
	c->dbus_talk = NULL;
	c->ndbus_talk = 0;
	free(c->home);
	c->home = NULL;
	devices_free(c->devices, c->ndevices);
	c->devices = NULL;
	c->ndevices = 0;
}

void policies_free(struct policy *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(p[i].path);
	free(p);
}

static int push(struct policy **v, size_t *n, const char *path, enum fvm_policy_kind k)
{
	struct policy *nv;

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].path, path)) {   /* a later one (the VM's own) replaces */
			(*v)[i].kind = k;
			return 0;
		}
	nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	*v = nv;
	nv[*n].path = strdup(path);
	if (!nv[*n].path)
		return -ENOMEM;
	nv[(*n)++].kind = k;
	return 0;
}

/* The host's SSH host private keys: /etc/ssh/ssh_host_*_key */
static int push_host_keys(struct policy **v, size_t *n)
{
	_cleanup_close_ int fd = host_path_open("/etc/ssh", O_RDONLY | O_DIRECTORY);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d)
		return 0;
	fd = -1;   /* the DIR owns it */
	while (r == 0 && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		char p[PATH_MAX];

		if (strncmp(de->d_name, "ssh_host_", 9) || l < 13 || strcmp(de->d_name + l - 4, "_key"))
			continue;
		snprintf(p, sizeof(p), "/etc/ssh/%s", de->d_name);
		r = push(v, n, p, FVM_POLICY_HIDE);
	}
	closedir(d);
	return r;
}

struct homes_ctx {
	struct policy **v;
	size_t *n;
	const char *mine;
};

static int push_other_home(uid_t uid, const char *home, void *ctx)
{
	struct homes_ctx *c = ctx;
	_cleanup_free_ char *real = NULL;

	if (!(uid == 0 || (uid >= 1000 && uid < 60000)))
		return 0;
	real = realpath(home, NULL);
	if (!real || !strcmp(real, "/") || (c->mine && path_has_prefix(c->mine, real)))
		return 0;
	return push(c->v, c->n, real, FVM_POLICY_HIDE);
}

/*
 * Other users' homes (the host's /etc/passwd, parsed: login users, uid
 * 1000-59999, and root's), as the kernel names them, but not the owner's
 * own or one that holds it.
 */
static int push_other_homes(struct policy **v, size_t *n, const char *home)
{
	_cleanup_free_ char *buf = NULL, *mine = home ? realpath(home, NULL) : NULL;
	struct homes_ctx c = { v, n, mine };
	size_t len = 0;

	if (read_small_fileat(AT_FDCWD, "/etc/passwd", &buf, &len) < 0)
		return 0;
	return passwd_homes(buf, len, push_other_home, &c);
}

/* What --profile untrusted hides: the owner's secrets, the host's, other users' homes. */
static int push_untrusted(struct policy **v, size_t *n, const char *home)
{
	int r = 0;

	for (size_t i = 0; r == 0 && home && *home == '/' && i < ARRAY_SIZE(untrusted_hides); i++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/%s", home, untrusted_hides[i]);
		r = push(v, n, p, FVM_POLICY_HIDE);
	}
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(untrusted_host_hides); i++)
		r = push(v, n, untrusted_host_hides[i], FVM_POLICY_HIDE);
	if (r == 0)
		r = push_host_keys(v, n);
	if (r == 0)
		r = push_other_homes(v, n, home);
	return r;
}

/**
 * policies_effective() - defaults, profile and the VM's own policies,
 * parents first (a deeper path is applied later and wins). COW entries
 * are left out.
 * @home: the owner's home directory, for the untrusted profile
 */
int policies_effective(const struct vm_config *c, const char *home, struct policy **ret,
		       size_t *ret_n)
{
	struct policy *v = NULL;
	size_t n = 0;
	int r = push(&v, &n, "/run", FVM_POLICY_PRIVATE);

	if (r == 0 && c->untrusted)
		r = push_untrusted(&v, &n, home);
	for (size_t i = 0; r == 0 && i < c->npolicies; i++)
		r = push(&v, &n, c->policies[i].path, c->policies[i].kind);
	/* drop COW (explicitly back to the default) */
	for (size_t i = 0; r == 0 && i < n; i++)
		if (v[i].kind == FVM_POLICY_COW) {
			free(v[i].path);
			v[i--] = v[--n];
		}
	if (r < 0) {
		policies_free(v, n);
		return r;
	}
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strlen(v[j - 1].path) > strlen(v[j].path); j--) {
			struct policy t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*ret = v;
	*ret_n = n;
	return 0;
}
