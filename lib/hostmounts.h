/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * hostmounts.h - the host mounts a VM sees, each of which gets its own
 * copy-on-write overlay (overlayfs layers cannot cross mounts).
 */
#ifndef FVM_HOSTMOUNTS_H
#define FVM_HOSTMOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "fvm.h"

/* what goes at a path of the VM's tree */
enum mount_kind {
	MK_OVERLAY,   /* copy-on-write overlay of a host mount (or rootless extra root) */
	MK_SHARE,     /* the host's own tree, bound in (policy share) */
	MK_PRIVATE,   /* a directory of the VM's store, bound in (policy private) */
	MK_RO,        /* what the VM sees there, made read-only (policy ro) */
	MK_HIDE,      /* a whiteout in the layer below (policy hide): no mount */
};

struct host_mount {
	char *target;          /* absolute path on the host and in the VM */
	unsigned long attrs;   /* MOUNT_ATTR_RDONLY / NOSUID / NOEXEC carried over */
	bool extra;            /* a rootless copy-on-write root, not a host mount */
	enum mount_kind kind;
};

struct vm_config;
int host_mounts_read(const char *store_path, const struct vm_config *cfg, const char *home,
		     struct host_mount **ret, size_t *ret_n, struct fvm_error *err);
void host_mounts_free(struct host_mount *m, size_t n);
bool path_has_prefix(const char *path, const char *prefix);
const char *path_under(const char *path, const char *prefix);

/* hostpath.c */
int host_path_open(const char *path, int flags);
int host_path_symlink(const char *path, char *buf, size_t len);

#endif
