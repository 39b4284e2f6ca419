// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * import.c - a new VM from an archive made by fvm export (or any OCI image
 * layer), the archive being hostile.
 *
 * Theory of operation. The VM is built in STORE/vms/.import-PID-RAND, a
 * name no VM can have (fvm_store_list() skips it), locked with flock(2)
 * for as long as the import runs, and renamed to its name
 * (RENAME_NOREPLACE, under the store lock) only once every member is in
 * and synced. An error removes the directory; a killed import leaves it,
 * unlocked, and the next fvm_store_open() removes it (import_sweep()) and
 * gives its uid range back. So no half-imported VM is ever visible.
 *
 * Each member is checked before it touches the disk:
 *  - its name: relative ("./" allowed), no "..", "." or empty component,
 *    at most XFER_PATH_MAX bytes, NAME_MAX a component, XFER_DEPTH_MAX
 *    deep; never twice (a tsearch tree of every path seen); never below
 *    what fvm hides from the VM (its stores);
 *  - its place: the layer of the mount that holds it on this host
 *    (xfer.c); a path with no copy-on-write layer here is skipped and
 *    listed in the report. Parents are made as a copy-up makes them, each
 *    opened with O_NOFOLLOW from the last: a symlink (or any non-directory)
 *    the archive put on the way is never followed, the member is refused;
 *  - its kind: files, directories, symlinks (whose targets only ever
 *    resolve inside the VM), FIFOs, hard links to a file this archive made
 *    earlier in the same layer, OCI whiteouts (.wh.NAME, .wh..wh..opq);
 *    device nodes and set-uid/set-gid modes only with their flags;
 *  - its owner: an id of the VM (0 = its root) inside its range, stored as
 *    the layer's id for it; rootless, where the VM has only its root, other
 *    owners become the VM's root and are counted in the report;
 *  - its size: the claimed size against the per-member and total bounds
 *    before any byte is written, and the bytes written against the claim.
 * Settings come from the manifest through the same checks as a VM's own
 * config (config_load()); those that loosen isolation (--net host,
 * published ports, host loopback, --share and --cow paths, capabilities,
 * seccomp) are dropped, and reported, unless @trust_settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <search.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>

#include <json-c/json.h>

#include "changes/import.h"

/* The manifest member, bounded, as JSON; NULL if it is not one. */
static json_object *read_manifest(struct imp *m)
{
	_cleanup_free_ char *buf = malloc(SMALL_FILE_MAX + 1);
	size_t o = 0;
	la_ssize_t n;

	if (!buf)
		return NULL;
	while (o < SMALL_FILE_MAX && (n = archive_read_data(m->a, buf + o, SMALL_FILE_MAX - o)) > 0)
		o += (size_t)n;
	buf[o] = '\0';
	return json_tokener_parse(buf);
}

/* The temporary directory the VM is built in, locked; its uid range. */
static int make_tmpdir(struct imp *m, char *tmp, size_t len)
{
	_cleanup_close_ int lock = store_lock(m->store, m->err);
	unsigned rnd = 0;

	if (lock < 0)
		return lock;
	if (faccessat(m->store->vmsfd, m->vm.cfg.name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return fvm_errf(m->err, -EEXIST, "VM '%s' already exists in %s: import under another name (fvm import FILE NAME), or remove it with 'fvm rm %s'",
				m->vm.cfg.name, m->store->path, m->vm.cfg.name);
	if (getrandom(&rnd, sizeof(rnd), 0) < 0)
		rnd = (unsigned)time(NULL);
	snprintf(tmp, len, ".import-%d-%08x", (int)getpid(), rnd);
	if (mkdirat(m->store->vmsfd, tmp, 0700) < 0)
		return fvm_errf(m->err, -errno, "cannot create %s/vms/%s: %m", m->store->path, tmp);
	m->vm.dirfd = openat(m->store->vmsfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (m->vm.dirfd < 0 || flock(m->vm.dirfd, LOCK_EX) < 0 ||
	    asprintf(&m->vm.dir, "%s/vms/%s", m->store->path, tmp) < 0)
		return fvm_errf(m->err, -errno, "cannot open %s/vms/%s: %m", m->store->path, tmp);
	if (!m->store->rootless)
		return idmap_allocate(m->store, m->vm.cfg.name, &m->vm.cfg.uid_base, m->err);
	return 0;
}

/* Every member after the manifest, then the VM under its name. */
static int import_all(struct imp *m, struct archive_entry *first, const char *tmp)
{
	struct archive_entry *e = first;
	int r = 0, ar;

	for (;;) {
		if (e) {
			r = import_member(m, e);
			if (r < 0)
				return r;
		}
		ar = archive_read_next_header(m->a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
			return fvm_errf(m->err, -EIO, "import of VM '%s': the archive is damaged after %zu members: %s",
					m->vm.cfg.name, m->entries, archive_error_string(m->a) ? archive_error_string(m->a) : "read error");
	}
	if (m->expect_members >= 0 && (long long)m->entries != m->expect_members)
		return fvm_errf(m->err, -EBADMSG, "import of VM '%s': the archive holds %zu members, its manifest says %lld: it is truncated or was changed; nothing was imported",
				m->vm.cfg.name, m->entries, m->expect_members);
	if (syncfs(m->vm.dirfd) < 0)
		return fvm_errf(m->err, -errno, "import of VM '%s': cannot sync %s: %m", m->vm.cfg.name, m->vm.dir);
	{
		_cleanup_close_ int lock = store_lock(m->store, m->err);

		if (lock < 0)
			return lock;
		if (renameat2(m->store->vmsfd, tmp, m->store->vmsfd, m->vm.cfg.name, RENAME_NOREPLACE) < 0)
			return fvm_errf(m->err, -errno, "cannot create %s/vms/%s: %m%s", m->store->path, m->vm.cfg.name,
					errno == EEXIST ? " (a VM of that name was made meanwhile)" : "");
	}
	return 0;
}

static void report_finish(struct imp *m, char **ret)
{
	json_object *o = m->report;

	json_object_object_add(o, "name", json_object_new_string(m->vm.cfg.name));
	json_object_object_add(o, "members", json_object_new_int64((int64_t)m->entries));
	json_object_object_add(o, "files", json_object_new_int64((int64_t)m->files));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)m->bytes));
	json_object_object_add(o, "whiteouts", json_object_new_int64((int64_t)m->whiteouts));
	json_object_object_add(o, "skipped", json_object_new_int64((int64_t)m->skipped));
	json_object_object_add(o, "skipped_paths", json_object_get(m->skipped_list));
	if (m->owners_dropped) {
		char msg[200];

		snprintf(msg, sizeof(msg), "%zu entries belonged to users other than the VM's root, which a rootless VM does not have: they are its root's now",
			 m->owners_dropped);
		warn(m, msg);
	}
	if (m->skipped) {
		char msg[300];

		snprintf(msg, sizeof(msg), "%zu entries not imported: this VM has no copy-on-write layer at their paths (%s)",
			 m->skipped, m->store->rootless ? "a rootless VM cannot change the system's files: import as root" :
							  "hidden, shared or private paths");
		warn(m, msg);
	}
	json_object_object_add(o, "warnings", json_object_get(m->warnings));
	*ret = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int open_reader(struct imp *m, int fd)
{
	m->a = archive_read_new();
	if (!m->a)
		return fvm_errf(m->err, -ENOMEM, "out of memory");
	/* tar only (pax, ustar, GNU), compressed with gzip or zstd or not at all */
	if (archive_read_support_format_tar(m->a) != ARCHIVE_OK ||
	    archive_read_support_filter_gzip(m->a) != ARCHIVE_OK ||
	    archive_read_support_filter_zstd(m->a) != ARCHIVE_OK ||
	    archive_read_open_fd(m->a, fd, 65536) != ARCHIVE_OK)
		return fvm_errf(m->err, -EINVAL, "cannot read the archive: %s (fvm import reads tar, plain or compressed with gzip or zstd)",
				archive_error_string(m->a) ? archive_error_string(m->a) : "unknown format");
	return 0;
}

/* The manifest (or none: a plain OCI layer) and the VM's name. */
static int read_head(struct imp *m, struct archive_entry **first, json_object **manifest)
{
	const char *name = m->o ? m->o->name : NULL;
	json_object *v;
	int ar = archive_read_next_header(m->a, first);

	if (ar == ARCHIVE_EOF)
		*first = NULL;
	else if (ar != ARCHIVE_OK && ar != ARCHIVE_WARN)
		return fvm_errf(m->err, -EINVAL, "cannot read the archive: %s",
				archive_error_string(m->a) ? archive_error_string(m->a) : "not a tar archive");
	if (*first && archive_entry_pathname(*first) && !strcmp(archive_entry_pathname(*first), XFER_MANIFEST)) {
		*manifest = read_manifest(m);
		*first = NULL;
		if (!*manifest || !json_object_is_type(*manifest, json_type_object))
			return fvm_errf(m->err, -EBADMSG, "the archive's manifest (%s) is not a JSON object", XFER_MANIFEST);
		if (!json_object_object_get_ex(*manifest, "format", &v) || json_object_get_int(v) > XFER_FORMAT)
			return fvm_errf(m->err, -EPROTO, "the archive was made by a newer fvm (format %d): update fvm to import it",
					json_object_get_int(v));
		if (json_object_object_get_ex(*manifest, "members", &v) && json_object_is_type(v, json_type_int))
			m->expect_members = json_object_get_int64(v);
		if (!name && json_object_object_get_ex(*manifest, "name", &v))
			name = json_object_get_string(v);
	} else {
		warn(m, "the archive has no fvm manifest: imported as a plain OCI layer, with default settings");
	}
	json_object_object_add(m->report, "manifest", json_object_new_boolean(*manifest != NULL));
	if (!name)
		return fvm_errf(m->err, -EINVAL, "the archive names no VM: give a name (fvm import FILE NAME)");
	if (fvm_name_check(name, m->err) < 0)
		return -EINVAL;
	snprintf(m->vm.cfg.name, sizeof(m->vm.cfg.name), "%s", name);
	return 0;
}

/**
 * fvm_store_import() - a new VM in @store from the archive read from @fd
 *
 * Return: 0 with the report in *@ret_report, or -errno with @err filled and
 * nothing left in the store.
 */
FVM_PUBLIC int fvm_store_import(struct fvm_store *store, int fd, const struct fvm_import_opts *opts,
				char **ret_report, struct fvm_error *err)
{
	struct imp m = { .store = store, .o = opts, .err = err };
	struct archive_entry *first = NULL;
	json_object *manifest = NULL;
	char tmp[64] = "";
	bool allocated = false;
	int r = archive_dl_load(err);

	if (r < 0)
		return r;
	m.vm.store = store;
	m.vm.dirfd = -1;
	m.expect_members = -1;
	m.cache_fd = -1;
	m.max_bytes = opts && opts->max_bytes ? opts->max_bytes : FVM_IMPORT_MAX_BYTES;
	m.max_entry = opts && opts->max_file_bytes ? opts->max_file_bytes : FVM_IMPORT_MAX_FILE_BYTES;
	m.max_entries = opts && opts->max_entries ? opts->max_entries : FVM_IMPORT_MAX_ENTRIES;
	m.report = json_object_new_object();
	m.skipped_list = json_object_new_array();
	m.warnings = json_object_new_array();
	import_sweep(store);
	r = open_reader(&m, fd);
	if (r == 0)
		r = read_head(&m, &first, &manifest);
	if (r == 0) {
		import_compare_base(&m, manifest);
		r = make_tmpdir(&m, tmp, sizeof(tmp));
		allocated = r == 0 && !store->rootless;
	}
	if (r == 0)
		r = import_write_config(&m, manifest, time(NULL));
	if (r == 0)
		r = xfer_layers_init(&m.xl, &m.vm, err);
	if (r == 0)
		r = import_all(&m, first, tmp);
	if (r == 0 && ret_report)
		report_finish(&m, ret_report);
	if (r < 0 && tmp[0]) {
		if (allocated)
			registry_release(store->path, m.vm.cfg.name, m.vm.cfg.uid_base, NULL);
		rm_rf_at(store->vmsfd, tmp);
	}
	if (m.cache_fd >= 0)
		close(m.cache_fd);
	xfer_layers_free(&m.xl);
	if (m.a)
		archive_read_free(m.a);
	tdestroy(m.seen, import_seen_free);
	if (manifest)
		json_object_put(manifest);
	json_object_put(m.report);
	json_object_put(m.skipped_list);
	json_object_put(m.warnings);
	vm_view_drop(&m.vm);
	config_release(&m.vm.cfg);
	fvm_strv_free(m.vm.stores);
	if (m.vm.dirfd >= 0)
		close(m.vm.dirfd);
	free(m.vm.dir);
	return r;
}
