/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xcb-dl.h - libxcb and libxcb-xfixes for the clipboard bridge
 * (clipboard.c), loaded with dlopen() in the bridge's own process
 * (xcb_dl_load()), not by the dynamic linker when any fvm program starts.
 *
 * Why: linked, they brought every fvm command six more libraries to load
 * at start (libxcb, libxcb-xfixes, libXau, libXdmcp, libbsd, libmd), for
 * a bridge that only `--clipboard on` runs, in a process of its own. The
 * same reasons and the same shape as changes/archive-dl.h.
 *
 * How: the functions the bridge calls are pointers in struct xcb_dl, each
 * of the type xcb's headers declare for it, and each name below is a
 * macro for its pointer: the call sites read as plain xcb calls. One
 * name is data, not a function: xcb_xfixes_id, the extension's id, whose
 * macro is the object the pointer points at (&xcb_xfixes_id still works).
 * Include this header instead of <xcb/xcb.h> and <xcb/xfixes.h>; call
 * xcb_dl_load() before the first xcb call.
 */
#ifndef FVM_LAUNCH_XCB_DL_H
#define FVM_LAUNCH_XCB_DL_H

#include <stddef.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

/* libxcb.so.1's */
#define XCB_DL_FUNCS(X) \
	X(xcb_connect_to_display_with_auth_info) X(xcb_connection_has_error) \
	X(xcb_get_file_descriptor) X(xcb_get_setup) X(xcb_setup_roots_iterator) \
	X(xcb_get_extension_data) X(xcb_generate_id) X(xcb_flush) X(xcb_poll_for_event) \
	X(xcb_create_window) X(xcb_intern_atom) X(xcb_intern_atom_reply) \
	X(xcb_convert_selection) X(xcb_set_selection_owner) X(xcb_send_event) \
	X(xcb_get_property) X(xcb_get_property_reply) X(xcb_get_property_value) \
	X(xcb_get_property_value_length) X(xcb_change_property)

/* libxcb-xfixes.so.0's (xcb_xfixes_id is data) */
#define XCB_XFIXES_DL_SYMS(X) \
	X(xcb_xfixes_id) X(xcb_xfixes_query_version) X(xcb_xfixes_query_version_reply) \
	X(xcb_xfixes_select_selection_input)

/**
 * struct xcb_dl - xcb's symbols, as xcb_dl_load() found them
 */
struct xcb_dl {
#define XCB_DL_MEMBER(f) __typeof__(f) *f;
	XCB_DL_FUNCS(XCB_DL_MEMBER)
	XCB_XFIXES_DL_SYMS(XCB_DL_MEMBER)
#undef XCB_DL_MEMBER
};

extern struct xcb_dl xcb_dl;
int xcb_dl_load(char *msg, size_t len);

/* from here on, each name is its pointer (a macro is not expanded again
 * inside its own expansion, so the member keeps its name); xcb-dl.c,
 * which fills them, does without */
#ifndef XCB_DL_DEFINE
#define xcb_connect_to_display_with_auth_info xcb_dl.xcb_connect_to_display_with_auth_info
#define xcb_connection_has_error xcb_dl.xcb_connection_has_error
#define xcb_get_file_descriptor xcb_dl.xcb_get_file_descriptor
#define xcb_get_setup xcb_dl.xcb_get_setup
#define xcb_setup_roots_iterator xcb_dl.xcb_setup_roots_iterator
#define xcb_get_extension_data xcb_dl.xcb_get_extension_data
#define xcb_generate_id xcb_dl.xcb_generate_id
#define xcb_flush xcb_dl.xcb_flush
#define xcb_poll_for_event xcb_dl.xcb_poll_for_event
#define xcb_create_window xcb_dl.xcb_create_window
#define xcb_intern_atom xcb_dl.xcb_intern_atom
#define xcb_intern_atom_reply xcb_dl.xcb_intern_atom_reply
#define xcb_convert_selection xcb_dl.xcb_convert_selection
#define xcb_set_selection_owner xcb_dl.xcb_set_selection_owner
#define xcb_send_event xcb_dl.xcb_send_event
#define xcb_get_property xcb_dl.xcb_get_property
#define xcb_get_property_reply xcb_dl.xcb_get_property_reply
#define xcb_get_property_value xcb_dl.xcb_get_property_value
#define xcb_get_property_value_length xcb_dl.xcb_get_property_value_length
#define xcb_change_property xcb_dl.xcb_change_property
#define xcb_xfixes_id (*xcb_dl.xcb_xfixes_id)
#define xcb_xfixes_query_version xcb_dl.xcb_xfixes_query_version
#define xcb_xfixes_query_version_reply xcb_dl.xcb_xfixes_query_version_reply
#define xcb_xfixes_select_selection_input xcb_dl.xcb_xfixes_select_selection_input
#endif

#endif
