// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * fuse-layer.c - what fuse-overlayfs (launch/fuseovl.c) writes in a
 * rootless VM's layer, for everything that reads layers (diff, commit,
 * discard, export): the layer stays one format. fuse-overlayfs writes
 * whiteouts as char 0/0 devices, as the kernel's overlay does (where it
 * cannot it would write .wh.NAME files, which fvm does not read: they
 * show as added files), marks opaque directories with the xattr
 * user.fuseoverlayfs.opaque and the entries .wh..wh..opq (a file) and
 * .wh..opq (a char 0/0), and copy-ups with user.fuseoverlayfs.origin.
 * changes.c reads the xattrs under FUSEOVL_XATTR_PREFIX as the kernel's
 * user.overlay.*, and list_dir() leaves the marks out (fuseovl_marker).
 * Also here: which trees a running VM's fuse-overlayfs serve (run/cow),
 * for inspect.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "store/store.h"
#include "util/util.h"

#include <json-c/json.h>

/* fuse-overlayfs 1.10 (Debian 12): the names it writes that are no entry */
bool fuseovl_marker(const char *name)
{
	return !strcmp(name, ".wh..wh..opq") || !strcmp(name, ".wh..opq");
}

/* A committed opaque directory @dirfd, merged again: fuse-overlayfs's marks go. */
void fuseovl_unmark(int dirfd)
{
	fremovexattr(dirfd, FUSEOVL_XATTR_PREFIX "opaque");
	unlinkat(dirfd, ".wh..wh..opq", 0);
	unlinkat(dirfd, ".wh..opq", 0);
}

/* Before the directory @name below @dfd goes from a layer: fuse-overlayfs's
 * marks in it go, if nothing else is left there (else it stays opaque). */
void fuseovl_drop_marks(int dfd, const char *name)
{
	_cleanup_close_ int d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **names = NULL;
	size_t n = 0;
	bool only_marks = true;

	if (d < 0 || dir_names(d, &names, &n) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		only_marks = only_marks && fuseovl_marker(names[i]);
	fvm_strv_free(names);
	if (only_marks && n)
		fuseovl_unmark(d);
}

/*
 * Is the directory @name below @dfd one fvm seeded (seed_entry) that the VM
 * left empty? It is fvm's, not a change of the VM's: diff passes over it.
 */
bool fuseovl_seed_unused(int dfd, const char *name)
{
	_cleanup_close_ int d = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **names = NULL, v[2];
	size_t n = 0;
	bool empty = true;

	if (d < 0 || fgetxattr(d, FUSEOVL_SEED_XATTR, v, sizeof(v)) < 0 || dir_names(d, &names, &n) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		empty = empty && fuseovl_marker(names[i]);
	fvm_strv_free(names);
	return empty;
}

/* while the VM runs: each layer's "backend", from run/cow */
void fuseovl_inspect(const struct fvm_vm *vm, struct json_object *layers)
{
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int fd = run < 0 ? -1 : openat(run, "cow", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char buf[65536];
	ssize_t got = fd < 0 ? 0 : read(fd, buf, sizeof(buf) - 1);

	buf[got > 0 ? got : 0] = '\0';
	for (size_t i = 0; i < json_object_array_length(layers); i++) {
		json_object *o = json_object_array_get_idx(layers, i), *m;
		const char *mp = json_object_object_get_ex(o, "mount", &m) ? json_object_get_string(m) : "";
		bool fuse = false;

		for (char *l = buf; *l && !fuse;) {
			char *sp = strchr(l, ' '), *nl = strchr(l, '\n');

			if (!nl)
				break;
			fuse = sp && sp < nl && (size_t)(nl - sp - 1) == strlen(mp) &&
			       !strncmp(sp + 1, mp, strlen(mp));
			l = nl + 1;
		}
		json_object_object_add(o, "backend", json_object_new_string(fuse ? "fuse" : "kernel"));
	}
}
