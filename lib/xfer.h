/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xfer.h - what export, import and cp share: where a path of the VM lives
 * (which copy-on-write layer, if any), making an upper directory chain the
 * way a copy-up would, the ids of a layer in the VM's own numbers, and the
 * description of the host a VM was made on.
 */
#ifndef FVM_XFER_H
#define FVM_XFER_H

#include <stdbool.h>
#include <sys/stat.h>

#include "fvm-internal.h"
#include "hostmounts.h"

struct json_object;

/* the member of an export that holds its manifest: a whiteout of a path no
 * system has (/.fvm-manifest.json), so an OCI tool applying the layer skips
 * it (and deletes nothing), while fvm import reads it first */
#define XFER_MANIFEST ".wh..fvm-manifest.json"
#define XFER_FORMAT 1

/* the layers of one VM, opened as needed */
struct xfer_layers {
	struct fvm_vm *vm;
	struct host_mount *mounts;
	size_t nmounts;
	int *upper;            /* per mount: the upper's fd, -1 until opened */
	int *lower;            /* per mount: the host's directory (O_PATH), -1 until opened */
};

int xfer_layers_init(struct xfer_layers *xl, struct fvm_vm *vm, struct fvm_error *err);
void xfer_layers_free(struct xfer_layers *xl);
/* the mount of @path that has a copy-on-write layer; -ENOTSUP where the VM
 * has none there (rootless system tree, a share, a private or hidden path) */
int xfer_mount_of(struct xfer_layers *xl, const char *path, size_t *ret_i, const char **ret_rel);
int xfer_upper(struct xfer_layers *xl, size_t i, struct fvm_error *err);
int xfer_lower(struct xfer_layers *xl, size_t i);
/* open (making, as a copy-up would: the host's mode and owner) the upper
 * directory @rel of mount @i; "" is the layer's root. No symlink followed;
 * -ENOTDIR where the layer has a non-directory or a whiteout on the way. */
int xfer_upper_dir(struct xfer_layers *xl, size_t i, const char *rel, struct fvm_error *err);

/* bounds on an archive member's name */
#define XFER_PATH_MAX 4000
#define XFER_DEPTH_MAX 256
int xfer_member_path(const char *name, char *buf, size_t len);

/* ids: the VM's own (0 = its root) from a layer's, and back */
unsigned xfer_id_to_vm(const struct vm_config *cfg, const struct fvm_store *st, unsigned id, bool gid);
int xfer_id_to_layer(const struct vm_config *cfg, const struct fvm_store *st, unsigned id, bool gid,
		     unsigned *ret);

/* {"id","version_id","arch","packages_digest","packages"} of this host */
struct json_object *xfer_host_base(void);

#endif
