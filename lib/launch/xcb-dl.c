// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xcb-dl.c - libxcb and libxcb-xfixes loaded by the clipboard bridge (see
 * xcb-dl.h for why), in its own single-threaded process, once, and kept
 * until it exits. The SONAMEs are those of Debian's libxcb1 and
 * libxcb-xfixes0 (stable since 2009: xcb's ABI has only grown).
 */
#include <dlfcn.h>
#include <stdio.h>

#define XCB_DL_DEFINE   /* the names stay xcb's own here */
#include "launch/xcb-dl.h"

#define XCB_SONAME "libxcb.so.1"
#define XCB_XFIXES_SONAME "libxcb-xfixes.so.0"

struct xcb_dl xcb_dl;

#define XCB_DL_FIX "install Debian's libxcb1 and libxcb-xfixes0"

/**
 * xcb_dl_load() - load libxcb and libxcb-xfixes for the clipboard bridge
 * @msg: where to say what is missing (a line for the bridge's log)
 * @len: its size
 *
 * Return: 0, or -1 with @msg naming the library and the packages to install.
 */
int xcb_dl_load(char *msg, size_t len)
{
	void *core = dlopen(XCB_SONAME, RTLD_NOW | RTLD_LOCAL);
	void *xfixes = core ? dlopen(XCB_XFIXES_SONAME, RTLD_NOW | RTLD_LOCAL) : NULL;
	const char *miss = NULL;

	if (!xfixes) {
		snprintf(msg, len, "cannot load the X client library: %s (" XCB_DL_FIX ")", dlerror());
		return -1;
	}
#define XCB_DL_FIND(h, f) \
	if (!miss && !((xcb_dl.f) = (__typeof__(xcb_dl.f))dlsym(h, #f))) \
		miss = #f;
#define XCB_DL_CORE(f) XCB_DL_FIND(core, f)
#define XCB_DL_XFIXES(f) XCB_DL_FIND(xfixes, f)
	XCB_DL_FUNCS(XCB_DL_CORE)
	XCB_XFIXES_DL_SYMS(XCB_DL_XFIXES)
#undef XCB_DL_XFIXES
#undef XCB_DL_CORE
#undef XCB_DL_FIND
	if (!miss)
		return 0;
	snprintf(msg, len, "%s or %s has no %s (" XCB_DL_FIX ")", XCB_SONAME, XCB_XFIXES_SONAME, miss);
	return -1;
}
