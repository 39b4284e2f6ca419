/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * import.h - what the three files of fvm import share (private to
 * lib/changes): the state of one import, and the steps import.c calls.
 * import.c reads the archive and makes the VM, import-member.c makes each
 * member, import-settings.c writes the VM's settings.
 */
#ifndef FVM_CHANGES_IMPORT_H
#define FVM_CHANGES_IMPORT_H

#include <time.h>

#include <json-c/json.h>

#include "changes/archive-dl.h"
#include "changes/changes.h"
#include "util/util.h"

#define XFER_LINK_MAX 4095
#define XFER_NAME_BYTES_MAX (256u << 20)   /* the paths kept in memory, in all */
#define XFER_XATTRS_MAX 64
#define XFER_SKIPPED_LISTED 20

struct seen {
	char *path;      /* in the VM, "/..." */
	size_t layer;    /* for hard links: the layer it went to */
	bool file;       /* a regular file made here (a hard link may point at it) */
};

struct imp {
	struct fvm_store *store;
	const struct fvm_import_opts *o;
	struct fvm_vm vm;              /* the VM being built, in its temporary directory */
	struct xfer_layers xl;
	struct archive *a;
	void *seen;                    /* tsearch tree of struct seen */
	uint64_t bytes, max_bytes, max_entry;
	uint64_t claimed;              /* the data every member claimed, read or skipped */
	size_t entries, max_entries, files, whiteouts, skipped, owners_dropped;
	size_t name_bytes;             /* of every path kept to find duplicates */
	long long expect_members;      /* the manifest's count, -1 without one */
	int cache_fd;                  /* the last upper directory a member went in */
	size_t cache_layer;
	char cache_rel[PATH_MAX];
	json_object *report;           /* the report being built */
	json_object *skipped_list, *warnings;
	struct fvm_error *err;
};

/* A warning for the report. */
static inline void warn(struct imp *m, const char *msg)
{
	json_object_array_add(m->warnings, json_object_new_string(msg));
}

/* import-member.c */
int import_member(struct imp *m, struct archive_entry *e);
void import_seen_free(void *p);

/* import-settings.c */
int import_write_config(struct imp *m, json_object *manifest, time_t now);
void import_compare_base(struct imp *m, json_object *manifest);

#endif
