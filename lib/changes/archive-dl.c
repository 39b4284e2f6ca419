// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * archive-dl.c - libarchive loaded when export or import needs it (see
 * archive-dl.h for why). Loaded once per process and kept: the library's
 * SONAME is that of the libarchive whose header fvm was built with.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>

#define ARCHIVE_DL_DEFINE   /* the names stay libarchive's own here */
#include "changes/archive-dl.h"
#include "util/util.h"

#if ARCHIVE_VERSION_NUMBER < 3000000 || ARCHIVE_VERSION_NUMBER >= 4000000
#error "libarchive 3 (SONAME libarchive.so.13) expected"
#endif
#define ARCHIVE_SONAME "libarchive.so.13"

struct archive_dl archive_dl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char load_error[256];   /* empty once every function is found */

static void load(void)
{
	void *h = dlopen(ARCHIVE_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *miss = NULL;

	if (!h) {
		snprintf(load_error, sizeof(load_error), "%s", dlerror());
		return;
	}
#define ARCHIVE_DL_FIND(f) \
	if (!miss && !((archive_dl.f) = (__typeof__(archive_dl.f))dlsym(h, #f))) \
		miss = #f;
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_FIND)
#undef ARCHIVE_DL_FIND
	if (miss)
		snprintf(load_error, sizeof(load_error), "%s has no %s", ARCHIVE_SONAME, miss);
}

/**
 * archive_dl_load() - load libarchive for an export or import
 *
 * Return: 0, or -ELIBACC with @err naming the library and the fix.
 */
int archive_dl_load(struct fvm_error *err)
{
	pthread_once(&once, load);
	if (!load_error[0] && archive_dl.archive_write_set_format_pax)
		return 0;
	return fvm_errf(err, -ELIBACC,
			"export and import need libarchive, which fvm cannot load: %s (install Debian's libarchive13)",
			load_error[0] ? load_error : "not loaded");
}
