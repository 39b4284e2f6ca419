/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * archive-dl.h - libarchive for export.c and import.c, loaded with
 * dlopen() when an export or import starts (archive_dl_load()), not by
 * the dynamic linker when any fvm program starts.
 *
 * Why: Debian's libarchive.so brings a dozen libraries with it (libxml2,
 * ICU, libstdc++, nettle, lzma, ...), and loading them cost every fvm
 * command about 2.5 ms (an empty program linked with and without it:
 * bench/results/RESULTS.md, section 9), more than a cold `fvm run` spends
 * on any single kernel step. Linking libarchive.a statically is no way
 * out: its pax writer drags in every format's writer, xar's with libxml2.
 *
 * How: the functions fvm calls are pointers in struct archive_dl, each of
 * the type libarchive's header declares for it, and each name below is a
 * macro for its pointer: the call sites read as plain libarchive calls.
 * Include this header instead of <archive.h>; call archive_dl_load()
 * before the first libarchive call.
 */
#ifndef FVM_CHANGES_ARCHIVE_DL_H
#define FVM_CHANGES_ARCHIVE_DL_H

#include <archive.h>
#include <archive_entry.h>

struct fvm_error;

#define ARCHIVE_DL_FUNCS(X) \
	X(archive_error_string) \
	X(archive_entry_new) X(archive_entry_free) \
	X(archive_entry_filetype) X(archive_entry_gid) X(archive_entry_hardlink) \
	X(archive_entry_mtime) X(archive_entry_mtime_nsec) X(archive_entry_pathname) \
	X(archive_entry_perm) X(archive_entry_rdev) X(archive_entry_size) \
	X(archive_entry_size_is_set) X(archive_entry_symlink) X(archive_entry_uid) \
	X(archive_entry_set_filetype) X(archive_entry_set_gid) X(archive_entry_set_hardlink) \
	X(archive_entry_set_mode) X(archive_entry_set_mtime) X(archive_entry_set_pathname) \
	X(archive_entry_set_perm) X(archive_entry_set_rdev) X(archive_entry_set_size) \
	X(archive_entry_set_symlink) X(archive_entry_set_uid) \
	X(archive_entry_xattr_add_entry) X(archive_entry_xattr_next) X(archive_entry_xattr_reset) \
	X(archive_read_new) X(archive_read_free) X(archive_read_open_fd) \
	X(archive_read_next_header) X(archive_read_data) X(archive_read_data_block) \
	X(archive_read_support_filter_gzip) X(archive_read_support_filter_zstd) \
	X(archive_read_support_format_tar) \
	X(archive_write_new) X(archive_write_free) X(archive_write_open_fd) \
	X(archive_write_close) X(archive_write_header) X(archive_write_data) \
	X(archive_write_add_filter_gzip) X(archive_write_add_filter_none) \
	X(archive_write_add_filter_zstd) X(archive_write_set_bytes_in_last_block) \
	X(archive_write_set_format_pax)

/**
 * struct archive_dl - libarchive's functions, as archive_dl_load() found them
 */
struct archive_dl {
#define ARCHIVE_DL_MEMBER(f) __typeof__(f) *f;
	ARCHIVE_DL_FUNCS(ARCHIVE_DL_MEMBER)
#undef ARCHIVE_DL_MEMBER
};

extern struct archive_dl archive_dl;
int archive_dl_load(struct fvm_error *err);

/* from here on, each name is its pointer (a macro is not expanded again
 * inside its own expansion, so the member keeps its name); archive-dl.c,
 * which fills them, does without */
#ifndef ARCHIVE_DL_DEFINE
#define archive_error_string archive_dl.archive_error_string
#define archive_entry_new archive_dl.archive_entry_new
#define archive_entry_free archive_dl.archive_entry_free
#define archive_entry_filetype archive_dl.archive_entry_filetype
#define archive_entry_gid archive_dl.archive_entry_gid
#define archive_entry_hardlink archive_dl.archive_entry_hardlink
#define archive_entry_mtime archive_dl.archive_entry_mtime
#define archive_entry_mtime_nsec archive_dl.archive_entry_mtime_nsec
#define archive_entry_pathname archive_dl.archive_entry_pathname
#define archive_entry_perm archive_dl.archive_entry_perm
#define archive_entry_rdev archive_dl.archive_entry_rdev
#define archive_entry_size archive_dl.archive_entry_size
#define archive_entry_size_is_set archive_dl.archive_entry_size_is_set
#define archive_entry_symlink archive_dl.archive_entry_symlink
#define archive_entry_uid archive_dl.archive_entry_uid
#define archive_entry_set_filetype archive_dl.archive_entry_set_filetype
#define archive_entry_set_gid archive_dl.archive_entry_set_gid
#define archive_entry_set_hardlink archive_dl.archive_entry_set_hardlink
#define archive_entry_set_mode archive_dl.archive_entry_set_mode
#define archive_entry_set_mtime archive_dl.archive_entry_set_mtime
#define archive_entry_set_pathname archive_dl.archive_entry_set_pathname
#define archive_entry_set_perm archive_dl.archive_entry_set_perm
#define archive_entry_set_rdev archive_dl.archive_entry_set_rdev
#define archive_entry_set_size archive_dl.archive_entry_set_size
#define archive_entry_set_symlink archive_dl.archive_entry_set_symlink
#define archive_entry_set_uid archive_dl.archive_entry_set_uid
#define archive_entry_xattr_add_entry archive_dl.archive_entry_xattr_add_entry
#define archive_entry_xattr_next archive_dl.archive_entry_xattr_next
#define archive_entry_xattr_reset archive_dl.archive_entry_xattr_reset
#define archive_read_new archive_dl.archive_read_new
#define archive_read_free archive_dl.archive_read_free
#define archive_read_open_fd archive_dl.archive_read_open_fd
#define archive_read_next_header archive_dl.archive_read_next_header
#define archive_read_data archive_dl.archive_read_data
#define archive_read_data_block archive_dl.archive_read_data_block
#define archive_read_support_filter_gzip archive_dl.archive_read_support_filter_gzip
#define archive_read_support_filter_zstd archive_dl.archive_read_support_filter_zstd
#define archive_read_support_format_tar archive_dl.archive_read_support_format_tar
#define archive_write_new archive_dl.archive_write_new
#define archive_write_free archive_dl.archive_write_free
#define archive_write_open_fd archive_dl.archive_write_open_fd
#define archive_write_close archive_dl.archive_write_close
#define archive_write_header archive_dl.archive_write_header
#define archive_write_data archive_dl.archive_write_data
#define archive_write_add_filter_gzip archive_dl.archive_write_add_filter_gzip
#define archive_write_add_filter_none archive_dl.archive_write_add_filter_none
#define archive_write_add_filter_zstd archive_dl.archive_write_add_filter_zstd
#define archive_write_set_bytes_in_last_block archive_dl.archive_write_set_bytes_in_last_block
#define archive_write_set_format_pax archive_dl.archive_write_set_format_pax
#endif

#endif
