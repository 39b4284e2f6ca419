// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * changeset.c - what a reading of a VM's changes stands on: every layer of
 * the VM opened (its upper directory, and the host directory it covers,
 * resolved from / without symlinks; a merged view where it stands on
 * frozen layers), the paths the user asked about checked, and the set
 * freed. The walk over the layers: changes.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <json-c/json.h>

#include "changes/changes.h"
#include "util/util.h"

/**
 * layers_open() - every layer of @vm with fds on its upper and the host
 * directory it covers, longest mount point first (so the first layer
 * whose mount holds a path is the one that path belongs to).
 */
int layers_open(struct fvm_vm *vm, struct changeset *cs, struct fvm_error *err)
{
	_cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char **names = NULL;
	size_t n = 0;
	int lfd, r = 0;

	/* frozen layers under the live ones: read their merged view */
	if (!cs->live && !cs->farm[0] && (r = stack_farm(vm, cs->farm, sizeof(cs->farm), err)) < 0)
		return r;
	if (cs->farm[0])
		cs->farm_dirfd = fcntl(vm->dirfd, F_DUPFD_CLOEXEC, 3);
	lfd = openat(vm->dirfd, cs->farm[0] ? cs->farm : "layers", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lfd < 0)
		return errno == ENOENT ? 0 : fvm_errf(err, -errno, "VM '%s': cannot open %s/layers: %s",
						     vm->cfg.name, vm->dir, strerror(errno));
	r = list_dir(lfd, &names, &n);
	for (size_t i = 0; r == 0 && i < n; i++) {
		char mp[PATH_MAX];
		struct layer_ref *l;
		int up;

		if (names[i][0] == '.' || layer_unescape(names[i], mp, sizeof(mp)) < 0)
			continue;
		up = openat(lfd, names[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (up >= 0) {
			int u2 = openat(up, "upper", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			close(up);
			up = u2;
		}
		if (up < 0)
			continue;
		l = realloc(cs->layers, (cs->nlayers + 1) * sizeof(*l));
		if (!l) {
			close(up);
			r = -ENOMEM;
			break;
		}
		cs->layers = l;
		l = &cs->layers[cs->nlayers++];
		l->mount = strdup(mp);
		l->upper_fd = up;
		/* the host side: resolved without symlinks, from / */
		l->host_fd = open_beneath_mount(root, mp, O_RDONLY | O_DIRECTORY);
		if (l->host_fd < 0) {
			struct open_how how = { .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
						.resolve = RESOLVE_NO_SYMLINKS };

			l->host_fd = (int)syscall(SYS_openat2, root, mp + 1, &how, sizeof(how));
		}
	}
	close(lfd);
	fvm_strv_free(names);
	/* longest mount point first */
	for (size_t i = 1; i < cs->nlayers; i++)
		for (size_t j = i; j > 0 && strlen(cs->layers[j - 1].mount) < strlen(cs->layers[j].mount); j--) {
			struct layer_ref t = cs->layers[j];

			cs->layers[j] = cs->layers[j - 1];
			cs->layers[j - 1] = t;
		}
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot read its layers: %s", vm->cfg.name, strerror(-r));
	return 0;
}

/* The paths a user names must be absolute and clean: no "..", no "//" tricks. */
int check_paths(struct fvm_vm *vm, char *const *paths, struct fvm_error *err)
{
	for (char *const *p = paths; p && *p; p++) {
		const char *s = *p;

		if (*s != '/' || strstr(s, "/../") || strstr(s, "/./") ||
		    (strlen(s) >= 3 && !strcmp(s + strlen(s) - 3, "/..")) || strlen(s) >= PATH_MAX)
			return fvm_errf(err, -EINVAL,
					"VM '%s': path '%.200s' must be absolute, without '.' or '..' components",
					vm->cfg.name, s);
	}
	return 0;
}

void changes_free(struct changeset *cs)
{
	if (cs->committed)
		json_object_put(cs->committed);
	for (size_t i = 0; i < cs->n; i++) {
		free(cs->v[i].path);
		free(cs->v[i].target);
	}
	free(cs->v);
	for (size_t i = 0; i < cs->nlayers; i++) {
		free(cs->layers[i].mount);
		close(cs->layers[i].upper_fd);
		if (cs->layers[i].host_fd >= 0)
			close(cs->layers[i].host_fd);
	}
	free(cs->layers);
	if (cs->farm[0]) {
		rm_rf_at(cs->farm_dirfd, cs->farm);
		close(cs->farm_dirfd);
	}
	memset(cs, 0, sizeof(*cs));
}

