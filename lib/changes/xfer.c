// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xfer.c - what export, import and cp share (see xfer.h).
 *
 * A path of the VM belongs to the layer of the longest host mount that
 * holds it (overlayfs cannot cross mounts), the same rule boot uses to
 * mount the layers (hostmounts.c). Where that mount is no copy-on-write
 * overlay (a share, a private or hidden path, and rootless the system tree
 * under "/"), there is no layer to write: the caller refuses or skips.
 *
 * Upper directories are made the way overlayfs copies a directory up: the
 * host's directory at that place gives its mode and owner (mapped into the
 * VM's ids, layer.c), a directory the host lacks is the VM root's, 0755.
 * Every step opens the next component with O_NOFOLLOW from the previous
 * fd: a symlink, a file or a whiteout on the way is -ENOTDIR, never
 * followed, so nothing lands outside the layer; so is a place where the
 * layer has nothing but the host a symlink or a file (a directory made
 * there would replace it in the VM's view: /bin -> usr/bin would become
 * an almost empty /bin).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

int xfer_layers_init(struct xfer_layers *xl, struct fvm_vm *vm, struct fvm_error *err)
{
	int r;

	memset(xl, 0, sizeof(*xl));
	xl->vm = vm;
	r = vm_view(vm) ? host_mounts_read(vm->store->path, &vm->cfg, vm_view(vm), &xl->mounts, &xl->nmounts, err) :
			  fvm_errf(err, -ENOMEM, "out of memory");
	if (r < 0)
		return r;
	xl->upper = malloc(xl->nmounts * sizeof(int));
	xl->lower = malloc(xl->nmounts * sizeof(int));
	if (!xl->upper || !xl->lower) {
		xfer_layers_free(xl);
		return fvm_errf(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < xl->nmounts; i++)
		xl->upper[i] = xl->lower[i] = -1;
	return 0;
}

void xfer_layers_free(struct xfer_layers *xl)
{
	for (size_t i = 0; i < xl->nmounts; i++) {
		if (xl->upper && xl->upper[i] >= 0)
			close(xl->upper[i]);
		if (xl->lower && xl->lower[i] >= 0)
			close(xl->lower[i]);
	}
	free(xl->upper);
	free(xl->lower);
	host_mounts_free(xl->mounts, xl->nmounts);
	memset(xl, 0, sizeof(*xl));
}

int xfer_mount_of(struct xfer_layers *xl, const char *path, size_t *ret_i, const char **ret_rel)
{
	size_t best = (size_t)-1, blen = 0;
	const struct host_mount *m;

	for (size_t i = 0; i < xl->nmounts; i++) {
		size_t l = strlen(xl->mounts[i].target);

		/* later entries win at equal length: a policy on a mount point */
		if (path_has_prefix(path, xl->mounts[i].target) && (best == (size_t)-1 || l >= blen)) {
			best = i;
			blen = l;
		}
	}
	if (best == (size_t)-1)
		return -ENOTSUP;
	m = &xl->mounts[best];
	if (m->kind != MK_OVERLAY || (xl->vm->cfg.rootless && !m->extra && !strcmp(m->target, "/")))
		return -ENOTSUP;
	*ret_i = best;
	*ret_rel = path + (strcmp(m->target, "/") ? blen : 0);
	while (**ret_rel == '/')
		(*ret_rel)++;
	return 0;
}

int xfer_upper(struct xfer_layers *xl, size_t i, struct fvm_error *err)
{
	int work = -1, r;

	if (xl->upper[i] >= 0)
		return xl->upper[i];
	r = layer_open(xl->vm, xl->mounts[i].target, &xl->upper[i], &work, err);
	if (r < 0)
		return r;
	close(work);
	return xl->upper[i];
}

int xfer_lower(struct xfer_layers *xl, size_t i)
{
	if (xl->lower[i] < 0)
		xl->lower[i] = host_path_open(xl->mounts[i].target, O_PATH | O_DIRECTORY);
	return xl->lower[i];
}

/* The host's directory @rel of mount @i, for its mode and owner. */
static bool lower_dir_stat(struct xfer_layers *xl, size_t i, const char *rel, struct stat *st)
{
	int low = xfer_lower(xl, i);
	_cleanup_close_ int fd = low >= 0 ? open_beneath_mount(low, rel, O_PATH | O_DIRECTORY) : -1;

	return fd >= 0 && fstat(fd, st) == 0 && S_ISDIR(st->st_mode);
}

/* Is the host's entry at @rel of mount @i there, and no directory (a symlink, a file)? */
static bool lower_not_dir(struct xfer_layers *xl, size_t i, const char *rel)
{
	int low = xfer_lower(xl, i);
	_cleanup_close_ int fd = low >= 0 ? open_beneath_mount(low, rel, O_PATH) : -1;
	struct stat st;

	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR;
	return fstat(fd, &st) == 0 && !S_ISDIR(st.st_mode);
}

static void fresh_dir(struct xfer_layers *xl, size_t i, const char *rel, int fd)
{
	const struct vm_config *cfg = &xl->vm->cfg;
	struct stat st;

	if (lower_dir_stat(xl, i, rel, &st)) {
		layer_mirror_dir(fd, &st, cfg);
		return;
	}
	if (!cfg->rootless && fchown(fd, cfg->uid_base, cfg->uid_base) < 0) {
		/* best effort: shows as nobody in the VM */
	}
	fchmod(fd, 0755);
}

int xfer_upper_dir(struct xfer_layers *xl, size_t i, const char *rel, struct fvm_error *err)
{
	char sofar[PATH_MAX];
	size_t len = 0;
	int up = xfer_upper(xl, i, err);
	_cleanup_close_ int cur = -1;
	const char *p = rel;

	if (up < 0)
		return up;
	cur = fcntl(up, F_DUPFD_CLOEXEC, 3);
	if (cur < 0)
		return -errno;
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);
		char name[NAME_MAX + 1];
		struct stat st;
		int next;

		if (n == 0 || n > NAME_MAX || len + n + 2 >= sizeof(sofar))
			return -ENAMETOOLONG;
		memcpy(name, p, n);
		name[n] = '\0';
		len += (size_t)snprintf(sofar + len, sizeof(sofar) - len, "%s%s", len ? "/" : "", name);
		if (fstatat(cur, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (!S_ISDIR(st.st_mode))
				return -ENOTDIR;
			next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		} else if (errno != ENOENT) {
			return -errno;
		} else {
			if (lower_not_dir(xl, i, sofar))
				return -ENOTDIR;   /* the host's symlink or file: a directory would replace it */
			if (mkdirat(cur, name, 0700) < 0)
				return -errno;
			next = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next >= 0)
				fresh_dir(xl, i, sofar, next);
		}
		if (next < 0)
			return -errno;
		close(cur);
		cur = next;
		p = *e ? e + 1 : e;
	}
	return TAKE_FD(cur);
}

/*
 * xfer_member_path() - an archive member's name as a path of the VM
 * ("a/b", "./a/b" and "a/b/" are "/a/b")
 *
 * Return: 0, -EINVAL for a name that could lead elsewhere (absolute, a "..",
 * "." or empty component, a control character), -ENAMETOOLONG for one
 * longer than XFER_PATH_MAX or with a component over NAME_MAX, -ELOOP for
 * one deeper than XFER_DEPTH_MAX.
 */
int xfer_member_path(const char *name, char *buf, size_t len)
{
	size_t o = 0, depth = 0;
	const char *p = name;

	if (!p || *p == '/')
		return -EINVAL;
	while (!strncmp(p, "./", 2))
		p += 2;
	if (!*p || strlen(p) > XFER_PATH_MAX || strlen(p) + 2 > len)
		return -ENAMETOOLONG;
	buf[o++] = '/';
	while (*p) {
		const char *e = strchrnul(p, '/');
		size_t n = (size_t)(e - p);

		if (n == 0 && !*e)
			break;           /* a trailing '/' of a directory */
		if (n == 0 || n > NAME_MAX || (n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return n > NAME_MAX ? -ENAMETOOLONG : -EINVAL;
		for (size_t k = 0; k < n; k++)
			if ((unsigned char)p[k] < 0x20 || p[k] == 0x7f)
				return -EINVAL;
		if (++depth > XFER_DEPTH_MAX)
			return -ELOOP;
		if (o > 1)
			buf[o++] = '/';
		memcpy(buf + o, p, n);
		o += n;
		p = *e ? e + 1 : e;
	}
	buf[o] = '\0';
	return o > 1 ? 0 : -EINVAL;
}

unsigned xfer_id_to_vm(const struct vm_config *cfg, const struct fvm_store *st, unsigned id, bool gid)
{
	unsigned sub = gid ? cfg->subgid : cfg->subuid;

	if (cfg->rootless && id == (gid ? st->gid : st->uid))
		return 0;
	/* --ids sub: the user's subordinate ids are the VM's 1..65535 */
	if (cfg->rootless && cfg->ids == FVM_IDS_SUB && id >= sub && id - sub < UID_RANGE - 1)
		return id - sub + 1;
	if (cfg->rootless)
		return 65534;
	if (id >= cfg->uid_base && id - cfg->uid_base < cfg->uid_count)
		return id - cfg->uid_base;
	return 65534;   /* an id the VM does not have: nobody */
}

/* Return: 0, or -ERANGE for an id the VM cannot have (rootless: only 0). */
int xfer_id_to_layer(const struct vm_config *cfg, const struct fvm_store *st, unsigned id, bool gid,
		     unsigned *ret)
{
	if (cfg->rootless) {
		*ret = gid ? st->gid : st->uid;
		return id == 0 ? 0 : -ERANGE;
	}
	if (id >= cfg->uid_count)
		return -ERANGE;
	*ret = cfg->uid_base + id;
	return 0;
}

/* One "KEY=value" of /etc/os-release, unquoted. */
static void os_field(const char *txt, const char *key, char *buf, size_t len)
{
	size_t kl = strlen(key);

	buf[0] = '\0';
	for (const char *l = txt; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, key, kl) || l[kl] != '=')
			continue;
		l += kl + 1;
		if (*l == '"' || *l == '\'')
			l++;
		size_t n = strcspn(l, "\"'\n");

		snprintf(buf, len, "%.*s", (int)(n < len ? n : len - 1), l);
		return;
	}
}

/*
 * The host the VM's changes sit on: the distribution and release (from
 * the host's /etc/os-release), the machine, and a digest of the package
 * database (/var/lib/dpkg/status: FNV-1a, 64 bits; a fingerprint to tell
 * two package sets apart, not a security measure) with its package count.
 */
struct json_object *xfer_host_base(void)
{
	json_object *o = json_object_new_object();
	_cleanup_free_ char *osr = NULL;
	_cleanup_close_ int fd = host_path_open("/var/lib/dpkg/status", O_RDONLY);
	char id[64], ver[64], digest[32];
	struct utsname u;

	if (!o)
		return NULL;
	if (read_small_fileat(AT_FDCWD, "/etc/os-release", &osr, NULL) < 0 &&
	    read_small_fileat(AT_FDCWD, "/usr/lib/os-release", &osr, NULL) < 0)
		osr = NULL;
	os_field(osr, "ID", id, sizeof(id));
	os_field(osr, "VERSION_ID", ver, sizeof(ver));
	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "version_id", json_object_new_string(ver));
	json_object_object_add(o, "arch", json_object_new_string(uname(&u) == 0 ? u.machine : ""));
	if (fd >= 0) {
		uint64_t h = 1469598103934665603ULL;
		long long pkgs = 0;
		char buf[65536];
		bool bol = true;
		ssize_t n;

		while ((n = read_all(fd, buf, sizeof(buf))) > 0)
			for (ssize_t k = 0; k < n; k++) {
				h = (h ^ (unsigned char)buf[k]) * 1099511628211ULL;
				if (bol && k + 8 < n && !memcmp(buf + k, "Package:", 8))
					pkgs++;
				bol = buf[k] == '\n';
			}
		snprintf(digest, sizeof(digest), "fnv1a64:%016llx", (unsigned long long)h);
		json_object_object_add(o, "packages_digest", json_object_new_string(digest));
		json_object_object_add(o, "packages", json_object_new_int64(pkgs));
	}
	return o;
}
