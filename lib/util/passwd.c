// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * passwd.c - resolving "USER[:GROUP]" in a VM without NSS.
 *
 * Theory of operation. glibc's getpwnam() and friends read
 * /etc/nsswitch.conf and load the modules it names (libnss_NAME.so.2)
 * into the calling process. A VM owns its /etc and its /lib: calling them
 * after entering the VM's mount namespace would run the VM's code with
 * fvm's privileges and file descriptors. So fvm reads the two files
 * itself. passwd_read_file() opens one from the VM's root without
 * following any symlink or /proc magic link and without leaving the root,
 * refuses anything but a regular file (a FIFO must not block fvm, a device
 * must not be opened) and anything larger than PASSWD_FILE_MAX.
 * passwd_resolve() parses the bytes the way the "files" NSS module reads
 * them: the first entry that matches wins; malformed lines (a wrong number
 * of fields, an id that is not a decimal number below 2^32-1, a NUL byte)
 * are skipped, and so are NIS compat lines ("+name", "-name") and comments.
 * Lines have no length limit of their own: the file's cap bounds all.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

enum { PW_NAME, PW_PASSWD, PW_UID, PW_GID, PW_GECOS, PW_DIR, PW_SHELL, PW_NFIELDS };
enum { GR_NAME, GR_PASSWD, GR_GID, GR_MEM, GR_NFIELDS };

struct field {
	const char *s;
	size_t n;
};

/**
 * passwd_read_file() - read @path (relative, e.g. "etc/passwd") below the
 * VM's root @rootfd: a regular file of at most PASSWD_FILE_MAX bytes,
 * reached without symlinks. The result is NUL-terminated.
 *
 * Return: 0, -ENOENT when it does not exist, -ELOOP when a component is a
 * symlink, -EINVAL when it is not a regular file, -EFBIG when too large,
 * or another -errno.
 */
int passwd_read_file(int rootfd, const char *path, char **ret, size_t *ret_len)
{
	struct stat st;
	_cleanup_close_ int fd = vm_open_typed(rootfd, path, O_RDONLY, S_IFREG, &st);

	if (fd == -EMEDIUMTYPE)
		return -EINVAL;
	if (fd < 0)
		return fd;
	if (st.st_size > (off_t)PASSWD_FILE_MAX)
		return -EFBIG;
	return read_fd_bounded(fd, PASSWD_FILE_MAX, (size_t)st.st_size, ret, ret_len);
}

/* A decimal id: 1 to 10 digits, below 2^32-1 ((uid_t)-1 is no id). */
static bool parse_id(const char *s, size_t n, uint32_t *ret)
{
	uint64_t v = 0;

	if (n == 0 || n > 10)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v >= UINT32_MAX)
		return false;
	*ret = (uint32_t)v;
	return true;
}

static bool field_eq(const struct field *f, const char *s)
{
	return strlen(s) == f->n && memcmp(f->s, s, f->n) == 0;
}

/* The next line of [*p, end) without its newline; false at the end. */
static bool next_line(const char **p, const char *end, struct field *ret)
{
	const char *nl;

	if (!*p || *p >= end)
		return false;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	ret->s = *p;
	ret->n = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

/*
 * Split @line at ':' into at most @max fields. Return: the number of
 * fields, 0 for a line fvm skips (a NUL byte, a comment or NIS line, an
 * empty name), @max + 1 for one with too many.
 */
static size_t split_line(const struct field *line, struct field *f, size_t max)
{
	const char *p = line->s, *end = line->s + line->n;
	size_t i = 0;

	if (!line->n || memchr(line->s, '\0', line->n) || strchr("#+-:", *line->s))
		return 0;
	for (;;) {
		const char *c = memchr(p, ':', (size_t)(end - p));

		if (i == max)
			return max + 1;
		f[i].s = p;
		f[i].n = (size_t)((c ? c : end) - p);
		i++;
		if (!c)
			return i;
		p = c + 1;
	}
}

/*
 * Find the first well-formed passwd entry named @name or, when @name is
 * NULL, with uid @id; fill @f and the parsed ids. Return: found.
 */
static bool find_passwd(const char *buf, size_t len, const char *name, uint32_t id,
			struct field *f, uint32_t *ret_uid, uint32_t *ret_gid)
{
	const char *p = buf, *end = buf ? buf + len : NULL;
	struct field line;

	while (next_line(&p, end, &line)) {
		uint32_t uid, gid;

		if (split_line(&line, f, PW_NFIELDS) != PW_NFIELDS ||
		    !parse_id(f[PW_UID].s, f[PW_UID].n, &uid) || !parse_id(f[PW_GID].s, f[PW_GID].n, &gid))
			continue;
		if (name ? field_eq(&f[PW_NAME], name) : uid == id) {
			*ret_uid = uid;
			*ret_gid = gid;
			return true;
		}
	}
	return false;
}

/**
 * passwd_homes() - call @fn(uid, home, @ctx) for every well-formed entry
 * of the passwd file @buf whose home is an absolute path shorter than
 * PATH_MAX; stop at the first non-zero return of @fn.
 *
 * Return: 0, or what @fn returned.
 */
int passwd_homes(const char *buf, size_t len, int (*fn)(uid_t uid, const char *home, void *ctx),
		 void *ctx)
{
	const char *p = buf, *end = buf ? buf + len : NULL;
	struct field line, f[PW_NFIELDS];

	while (next_line(&p, end, &line)) {
		char home[PATH_MAX];
		uint32_t uid;
		int r;

		if (split_line(&line, f, PW_NFIELDS) != PW_NFIELDS ||
		    !parse_id(f[PW_UID].s, f[PW_UID].n, &uid) || !f[PW_DIR].n ||
		    *f[PW_DIR].s != '/' || f[PW_DIR].n >= sizeof(home))
			continue;
		memcpy(home, f[PW_DIR].s, f[PW_DIR].n);
		home[f[PW_DIR].n] = '\0';
		r = fn((uid_t)uid, home, ctx);
		if (r)
			return r;
	}
	return 0;
}

/* A well-formed group line: its fields (members empty when left out) and gid. */
static bool group_line(const struct field *line, struct field *f, uint32_t *ret_gid)
{
	size_t n = split_line(line, f, GR_NFIELDS);

	if (n == GR_NFIELDS - 1) {
		f[GR_MEM].s = "";
		f[GR_MEM].n = 0;
	} else if (n != GR_NFIELDS) {
		return false;
	}
	return parse_id(f[GR_GID].s, f[GR_GID].n, ret_gid);
}

/* @spec: a group name, or a gid (taken as is when /etc/group lacks it). */
static int resolve_group(const char *buf, size_t len, const char *spec, gid_t *ret)
{
	const char *p = buf, *end = buf ? buf + len : NULL;
	bool numeric;
	struct field line, f[GR_NFIELDS];
	uint32_t id = 0, gid;

	numeric = parse_id(spec, strlen(spec), &id);
	while (next_line(&p, end, &line)) {
		if (!group_line(&line, f, &gid))
			continue;
		if (numeric ? gid == id : field_eq(&f[GR_NAME], spec)) {
			*ret = gid;
			return 0;
		}
	}
	if (!numeric)
		return -ESRCH;
	*ret = id;
	return 0;
}

static bool is_member(const struct field *mem, const char *user)
{
	const char *p = mem->s, *end = mem->s + mem->n;
	size_t ulen = strlen(user);

	for (;;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = (size_t)((c ? c : end) - p);

		if (n == ulen && memcmp(p, user, n) == 0)
			return true;
		if (!c)
			return false;
		p = c + 1;
	}
}

static int cmp_gid(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;

	return x < y ? -1 : x > y;
}

static int push_gid(gid_t **v, size_t *n, size_t *cap, gid_t g)
{
	if (*n == *cap) {
		gid_t *nv = reallocarray(*v, *cap * 2, sizeof(gid_t));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap *= 2;
	}
	(*v)[(*n)++] = g;
	return 0;
}

/*
 * @primary, then the gid of every group that lists @user (NULL: none),
 * sorted, each once, at most PASSWD_GROUPS_MAX in all.
 */
static int collect_groups(const char *buf, size_t len, const char *user, gid_t primary,
			  gid_t **ret, size_t *ret_n)
{
	const char *p = buf, *end = buf ? buf + len : NULL;
	_cleanup_free_ gid_t *v = malloc(16 * sizeof(gid_t));
	size_t n = 0, cap = 16, out = 1;
	struct field line, f[GR_NFIELDS];
	uint32_t gid;

	if (!v)
		return -ENOMEM;
	v[n++] = primary;
	while (user && next_line(&p, end, &line))
		if (group_line(&line, f, &gid) && gid != primary && is_member(&f[GR_MEM], user) &&
		    push_gid(&v, &n, &cap, gid) < 0)
			return -ENOMEM;
	qsort(v + 1, n - 1, sizeof(gid_t), cmp_gid);
	for (size_t i = 1; i < n && out < PASSWD_GROUPS_MAX; i++)
		if (v[i] != v[out - 1])
			v[out++] = v[i];
	*ret_n = out;
	*ret = TAKE_PTR(v);
	return 0;
}

/**
 * vm_user_release() - free what passwd_resolve() filled in.
 */
void vm_user_release(struct vm_user *u)
{
	free(u->name);
	free(u->home);
	free(u->shell);
	free(u->groups);
	*u = (struct vm_user){ 0 };
}

static char *field_dup(const struct field *f, const char *dflt)
{
	return f->n ? strndup(f->s, f->n) : strdup(dflt);
}

/* The user part of a spec: its passwd entry, or a bare numeric uid. */
static int resolve_passwd(const char *buf, size_t len, const char *spec, struct vm_user *u)
{
	struct field f[PW_NFIELDS];
	uint32_t id = 0, uid, gid;
	bool numeric = parse_id(spec, strlen(spec), &id);

	if (find_passwd(buf, len, numeric ? NULL : spec, id, f, &uid, &gid)) {
		u->uid = uid;
		u->gid = gid;
		u->name = strndup(f[PW_NAME].s, f[PW_NAME].n);
		u->home = field_dup(&f[PW_DIR], "/");
		u->shell = field_dup(&f[PW_SHELL], "/bin/sh");
		return u->name && u->home && u->shell ? 0 : -ENOMEM;
	}
	if (!numeric)
		return -ESRCH;
	u->uid = id;
	u->gid = id;
	u->home = strdup("/");
	u->shell = strdup("/bin/sh");
	return u->home && u->shell ? 0 : -ENOMEM;
}

/**
 * passwd_resolve() - whom "USER[:GROUP]" names in a VM
 * @passwd, @passwd_len: the VM's /etc/passwd (NULL: it has none)
 * @group, @group_len: the VM's /etc/group (NULL: it has none)
 * @spec: "USER[:GROUP]", each a name or a decimal id; NULL means "0"
 * @ret: filled on success (release with vm_user_release())
 *
 * A numeric USER is looked up by uid; without an entry it runs as that uid
 * with the same gid, home "/" and shell "/bin/sh". A numeric GROUP without
 * an entry is taken as is. A name must have an entry.
 *
 * Return: 0, -ESRCH for a name with no entry, -EINVAL for an empty part,
 * or -ENOMEM.
 */
int passwd_resolve(const char *passwd, size_t passwd_len, const char *group, size_t group_len,
		   const char *spec, struct vm_user *ret)
{
	_cleanup_free_ char *copy = strdup(spec ? spec : "0");
	struct vm_user u = { 0 };
	char *grp;
	int r;

	if (!copy)
		return -ENOMEM;
	grp = strchr(copy, ':');
	if (grp)
		*grp++ = '\0';
	if (!*copy || (grp && !*grp))
		return -EINVAL;
	r = resolve_passwd(passwd, passwd_len, copy, &u);
	if (r == 0 && grp)
		r = resolve_group(group, group_len, grp, &u.gid);
	if (r == 0)
		r = collect_groups(group, group_len, u.name, u.gid, &u.groups, &u.ngroups);
	if (r < 0) {
		vm_user_release(&u);
		return r;
	}
	*ret = u;
	return 0;
}
