// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-changes.c - change classification (lib/changes/changes.c, entry.c):
 * a VM in a scratch store gets a layer over a scratch "host" directory,
 * entries are made in both as overlayfs and fuse-overlayfs leave them,
 * and what changes_collect() calls each is checked: added, modified,
 * metadata (same bytes and mtime, another mode), an identical copy-up (no
 * change), deleted by either whiteout format (a 0/0 character device, as
 * root only; a 0-byte file with the overlay.whiteout xattr), a whiteout of
 * what the host does not have (no change), a type change (replaced), an
 * opaque directory (replaced, the host entries it lacks deleted, implied),
 * a directory of another mode (metadata), a symlink's target, a deletion
 * the host changed afterwards (a conflict). Root mode when run as root
 * (trusted.overlay.* xattrs; the uid registry in the scratch directory),
 * rootless otherwise (user.overlay.*).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "changes/changes.h"
#include "tap.h"

static char scratch[] = "/tmp/fvm-test-changes.XXXXXX";
static char host[PATH_MAX];
static int hostfd = -1, upfd = -1;
static const char *xprefix;

static void put(int dfd, const char *name, const char *text, mode_t mode)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		printf("Bail out! cannot write %s: %m\n", name);
		exit(1);
	}
	fchmod(fd, mode);
	close(fd);
}

/* The upper's @name gets the host's mtime (a copy-up keeps it). */
static void same_mtime(const char *name)
{
	struct stat st;

	if (fstatat(hostfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		utimensat(upfd, name, (struct timespec[]){ st.st_atim, st.st_mtim }, AT_SYMLINK_NOFOLLOW);
}

static int set_x(const char *name, const char *key, const char *val)
{
	char attr[64], proc[64];
	int fd = openat(upfd, name, O_RDONLY | O_CLOEXEC), r;

	snprintf(attr, sizeof(attr), "%s%s", xprefix, key);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	r = fd < 0 ? -1 : setxattr(proc, attr, val, strlen(val), 0);
	if (r < 0)
		tap_diag("setxattr %s on %s: %m", attr, name);
	if (fd >= 0)
		close(fd);
	return r;
}

static const struct change *find(const struct changeset *cs, const char *rel)
{
	char p[2 * PATH_MAX];

	snprintf(p, sizeof(p), "%s/%s", host, rel);
	for (size_t i = 0; i < cs->n; i++)
		if (!strcmp(cs->v[i].path, p))
			return &cs->v[i];
	return NULL;
}

static bool is(const struct changeset *cs, const char *rel, enum fvm_change_kind kind)
{
	const struct change *c = find(cs, rel);

	if (!c)
		tap_diag("%s: no change", rel);
	else if (c->pub.kind != kind)
		tap_diag("%s: kind %d, not %d", rel, c->pub.kind, kind);
	return c && c->pub.kind == kind;
}

/* Host and layer, before the VM "ran". */
static void make_host(void)
{
	mkdirat(hostfd, "od", 0755);
	mkdirat(hostfd, "md", 0755);
	mkdirat(hostfd, "odd", 0755);
	put(hostfd, "keep.txt", "same\n", 0644);
	put(hostfd, "mod.txt", "old content\n", 0644);
	put(hostfd, "meta.txt", "bytes\n", 0644);
	put(hostfd, "copyup.txt", "copied up\n", 0644);
	put(hostfd, "del-dev.txt", "x\n", 0644);
	put(hostfd, "del-x.txt", "x\n", 0644);
	put(hostfd, "del-later.txt", "x\n", 0644);
	put(hostfd, "repl", "a file on the host\n", 0644);
	put(hostfd, "od/a", "host a\n", 0644);
	put(hostfd, "od/b", "host b\n", 0644);
	symlinkat("/etc/hostname", hostfd, "link");
}

int main(void)
{
	char store_path[PATH_MAX], reg[PATH_MAX], p[3 * PATH_MAX], esc[PATH_MAX];
	struct fvm_vm_opts o = { 0 };
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	struct changeset cs;
	const struct change *c;
	bool root = geteuid() == 0, dev_ok = false;
	char *real;
	int r;

	tap_plan(17);
	if (!mkdtemp(scratch) || !(real = realpath(scratch, NULL)))
		return 1;
	xprefix = root ? "trusted.overlay." : "user.overlay.";
	snprintf(store_path, sizeof(store_path), "%s/store", real);
	snprintf(reg, sizeof(reg), "%s/reg/ranges", real);
	snprintf(host, sizeof(host), "%s/host", real);
	setenv("FVM_UID_REGISTRY", reg, 1);
	mkdir(host, 0755);
	if (fvm_store_open(store_path, &s, &e) < 0 || fvm_vm_create(s, "v", &o, &vm, &e) < 0) {
		printf("Bail out! cannot make a VM in %s: %s\n", store_path, e.msg);
		return 1;
	}
	/* the VM's layer of the mount point "host" */
	if (layer_escape(host, esc, sizeof(esc)) < 0)
		return 1;
	snprintf(p, sizeof(p), "mkdir -p '%s/vms/v/layers/%s/upper'", store_path, esc);
	if (system(p) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/vms/v/layers/%s/upper", store_path, esc);
	upfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	hostfd = open(host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (upfd < 0 || hostfd < 0)
		return 1;
	make_host();

	/* what the VM did, as its layer shows it */
	put(upfd, "new.txt", "made in the VM\n", 0644);
	put(upfd, "mod.txt", "new content!\n", 0644);
	put(upfd, "meta.txt", "bytes\n", 0600);
	same_mtime("meta.txt");
	put(upfd, "copyup.txt", "copied up\n", 0644);
	same_mtime("copyup.txt");
	dev_ok = root && mknodat(upfd, "del-dev.txt", S_IFCHR | 0000, makedev(0, 0)) == 0;
	put(upfd, "del-x.txt", "", 0644);
	set_x("del-x.txt", "whiteout", "y");
	put(upfd, "gone.txt", "", 0644);            /* a whiteout of nothing on the host */
	set_x("gone.txt", "whiteout", "y");
	put(upfd, "del-later.txt", "", 0644);
	set_x("del-later.txt", "whiteout", "y");
	mkdirat(upfd, "repl", 0755);
	mkdirat(upfd, "od", 0755);
	set_x("od", "opaque", "y");
	put(upfd, "od/a", "the VM's a\n", 0644);
	mkdirat(upfd, "md", 0700);
	fchmodat(upfd, "md", 0700, 0);
	mkdirat(upfd, "newdir", 0755);
	put(upfd, "newdir/f", "in a new dir\n", 0644);
	symlinkat("/etc/os-release", upfd, "link");
	/* the host changes what the VM deleted, afterwards */
	usleep(20000);
	put(hostfd, "del-later.txt", "the host wrote it again\n", 0644);

	r = changes_collect(vm, NULL, &cs, &e);
	tap_ok(r == 0, "changes_collect() reads the layer (%d %s)", r, e.msg);
	tap_ok(is(&cs, "new.txt", FVM_CHANGE_ADDED), "a file the host does not have: added");
	tap_ok(is(&cs, "mod.txt", FVM_CHANGE_MODIFIED), "other bytes: modified");
	c = find(&cs, "meta.txt");
	tap_ok(is(&cs, "meta.txt", FVM_CHANGE_METADATA) && c->pub.mode_changed && c->pub.mode == 0600,
	       "same bytes and mtime, another mode: metadata, mode 0600");
	tap_ok(!find(&cs, "copyup.txt") && !find(&cs, "keep.txt"), "an identical copy-up is no change");
	if (root)
		tap_ok(dev_ok && is(&cs, "del-dev.txt", FVM_CHANGE_DELETED) && find(&cs, "del-dev.txt")->pub.type == '-',
		       "a 0/0 character device (overlayfs's whiteout): deleted");
	else
		tap_ok(1, "# SKIP a 0/0 character device needs root to make");
	tap_ok(is(&cs, "del-x.txt", FVM_CHANGE_DELETED), "a 0-byte file with %swhiteout: deleted", xprefix);
	tap_ok(!find(&cs, "gone.txt"), "a whiteout of what the host does not have: no change");
	tap_ok(is(&cs, "repl", FVM_CHANGE_REPLACED) && find(&cs, "repl")->pub.type == 'd',
	       "a directory where the host has a file: replaced, type d");
	c = find(&cs, "od");
	tap_ok(is(&cs, "od", FVM_CHANGE_REPLACED) && c->opaque, "an opaque directory: replaced, marked opaque");
	c = find(&cs, "od/b");
	tap_ok(is(&cs, "od/b", FVM_CHANGE_DELETED) && c->implied,
	       "a host entry the opaque directory lacks: deleted, implied");
	tap_ok(find(&cs, "od/a") && !find(&cs, "od/a")->implied, "what the opaque directory holds is its own change");
	tap_ok(is(&cs, "md", FVM_CHANGE_METADATA) && find(&cs, "md")->pub.mode_changed,
	       "a directory of another mode: metadata");
	tap_ok(is(&cs, "newdir", FVM_CHANGE_ADDED) && is(&cs, "newdir/f", FVM_CHANGE_ADDED),
	       "a new directory and what is in it: added");
	c = find(&cs, "link");
	tap_ok(is(&cs, "link", FVM_CHANGE_MODIFIED) && c->pub.link_target && !strcmp(c->pub.link_target, "/etc/os-release"),
	       "a symlink to another target: modified, its target read");
	c = find(&cs, "del-later.txt");
	tap_ok(is(&cs, "del-later.txt", FVM_CHANGE_DELETED) && c->pub.conflict,
	       "a deletion of what the host changed afterwards: a conflict (%s)", c && c->pub.conflict_why ? c->pub.conflict_why : "none");
	c = find(&cs, "mod.txt");
	tap_ok(c && !c->pub.conflict && !find(&cs, "new.txt")->pub.conflict, "no conflict where the host did not change");
	changes_free(&cs);

	close(upfd);
	close(hostfd);
	fvm_vm_remove(vm, false, &e);
	fvm_vm_free(vm);
	fvm_store_free(s);
	snprintf(p, sizeof(p), "rm -rf '%s'", real);
	if (system(p) != 0)
		printf("# could not remove %s\n", real);
	free(real);
	return tap_done();
}
