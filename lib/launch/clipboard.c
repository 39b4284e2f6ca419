// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * clipboard.c - --clipboard on: the nested X server's selections and the
 * host display's, kept in step (--gui x11 only; off by default).
 *
 * Theory of operation. A bridge, "fvm-clip", a client of both displays
 * (the nested server with its cookie, the host's with the caller's), runs
 * on the host beside Xephyr under a supervisor of its own (helper_spawn()),
 * as the VM's root uid as root (it owns nothing on the host) or as the
 * user rootless, and stops with the VM. It watches who owns CLIPBOARD
 * and PRIMARY on each side (XFixes). When a client of one side takes a
 * selection, the bridge takes it on the other; when a client there asks
 * for it, the bridge asks the owner on the first side for text
 * (UTF8_STRING, else STRING), at most CLIP_MAX bytes in one piece (no
 * INCR), and hands it over. Only text, only when asked: the VM's programs
 * read what you copy on the host, and you paste what they copy; they see
 * nothing else of the host display (no window, no keystroke).
 *
 * Start. The bridge loads libxcb itself (xcb-dl.h: no other fvm process
 * has it), connects to both displays, and then writes a byte on fd 3, the
 * pipe fvm start waits on (start_clip()); a bridge that cannot load xcb or
 * connect says why in run/clip.log and exits, and fvm start fails with it.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "launch/launch.h"
#include "launch/xcb-dl.h"

#define CLIP_MAX (1u << 20)      /* bytes of one selection's text */
#define CLIP_WAIT_MS 2000        /* an owner's answer */

enum { A_CLIPBOARD, A_PRIMARY, A_UTF8, A_STRING, A_TARGETS, A_PROP, A_TEXT, A_INCR, A_N };
static const char *const atom_names[A_N] = {
	"CLIPBOARD", "PRIMARY", "UTF8_STRING", "STRING", "TARGETS", "FVM_CLIP", "TEXT", "INCR",
};

struct side {
	xcb_connection_t *c;
	xcb_window_t win;
	xcb_atom_t atom[A_N];
	uint8_t xfixes_event;
};

static int side_open(struct side *s, const char *display, const struct xauth_cookie *ck)
{
	xcb_auth_info_t auth = { 0 };
	const xcb_query_extension_reply_t *ext;
	xcb_screen_t *scr;
	xcb_intern_atom_cookie_t ac[A_N];

	if (ck) {
		auth.namelen = (int)ck->name_len;
		auth.name = (char *)ck->name;
		auth.datalen = (int)ck->data_len;
		auth.data = (char *)ck->data;
	}
	s->c = xcb_connect_to_display_with_auth_info(display, ck ? &auth : NULL, NULL);
	if (!s->c || xcb_connection_has_error(s->c))
		return -1;
	scr = xcb_setup_roots_iterator(xcb_get_setup(s->c)).data;
	ext = xcb_get_extension_data(s->c, &xcb_xfixes_id);
	if (!scr || !ext || !ext->present)
		return -1;
	s->xfixes_event = ext->first_event;
	free(xcb_xfixes_query_version_reply(s->c, xcb_xfixes_query_version(s->c, 5, 0), NULL));
	s->win = xcb_generate_id(s->c);
	xcb_create_window(s->c, 0, s->win, scr->root, 0, 0, 1, 1, 0, XCB_WINDOW_CLASS_INPUT_ONLY,
			  scr->root_visual, XCB_CW_EVENT_MASK, (uint32_t[]){ XCB_EVENT_MASK_PROPERTY_CHANGE });
	for (int i = 0; i < A_N; i++)
		ac[i] = xcb_intern_atom(s->c, 0, (uint16_t)strlen(atom_names[i]), atom_names[i]);
	for (int i = 0; i < A_N; i++) {
		xcb_intern_atom_reply_t *r = xcb_intern_atom_reply(s->c, ac[i], NULL);

		if (!r)
			return -1;
		s->atom[i] = r->atom;
		free(r);
	}
	for (int i = A_CLIPBOARD; i <= A_PRIMARY; i++)
		xcb_xfixes_select_selection_input(s->c, s->win, s->atom[i],
						  XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER);
	xcb_flush(s->c);
	return 0;
}

/* The text of selection @sel (A_CLIPBOARD or A_PRIMARY) from its owner on @s, or NULL. */
static void *fetch(struct side *s, int sel, xcb_atom_t *type, uint32_t *len)
{
	struct pollfd p = { .fd = xcb_get_file_descriptor(s->c), .events = POLLIN };
	xcb_get_property_reply_t *pr;
	void *data = NULL;

	for (int t = A_UTF8; t <= A_STRING && !data; t++) {
		bool answered = false, ok = false;

		xcb_convert_selection(s->c, s->win, s->atom[sel], s->atom[t], s->atom[A_PROP], XCB_CURRENT_TIME);
		xcb_flush(s->c);
		while (!answered && poll(&p, 1, CLIP_WAIT_MS) == 1) {
			xcb_generic_event_t *ev;

			while (!answered && (ev = xcb_poll_for_event(s->c))) {
				if ((ev->response_type & 0x7f) == XCB_SELECTION_NOTIFY) {
					answered = true;
					ok = ((xcb_selection_notify_event_t *)ev)->property != XCB_NONE;
				}
				free(ev);   /* others, while we wait, are dropped */
			}
			if (xcb_connection_has_error(s->c))
				return NULL;
		}
		if (!ok)
			continue;
		pr = xcb_get_property_reply(s->c, xcb_get_property(s->c, 1, s->win, s->atom[A_PROP],
								    XCB_GET_PROPERTY_TYPE_ANY, 0, CLIP_MAX / 4), NULL);
		if (pr && pr->type != s->atom[A_INCR] && pr->format == 8 && !pr->bytes_after &&
		    (data = malloc(xcb_get_property_value_length(pr) + 1))) {
			*len = (uint32_t)xcb_get_property_value_length(pr);
			memcpy(data, xcb_get_property_value(pr), *len);
			*type = t == A_UTF8 ? A_UTF8 : A_STRING;
		}
		free(pr);
	}
	return data;
}

/* A client of @to asks for what the bridge holds there for @from: fetch it, answer. */
static void answer(struct side *to, struct side *from, xcb_selection_request_event_t *rq)
{
	xcb_selection_notify_event_t ev = {
		.response_type = XCB_SELECTION_NOTIFY, .time = rq->time, .requestor = rq->requestor,
		.selection = rq->selection, .target = rq->target, .property = XCB_NONE,
	};
	xcb_atom_t prop = rq->property ? rq->property : rq->target, type = 0;
	int sel = rq->selection == to->atom[A_PRIMARY] ? A_PRIMARY : A_CLIPBOARD;

	if (rq->target == to->atom[A_TARGETS]) {
		xcb_atom_t t[] = { to->atom[A_TARGETS], to->atom[A_UTF8], to->atom[A_STRING], to->atom[A_TEXT] };

		xcb_change_property(to->c, XCB_PROP_MODE_REPLACE, rq->requestor, prop, XCB_ATOM_ATOM, 32, 4, t);
		ev.property = prop;
	} else if (rq->target == to->atom[A_UTF8] || rq->target == to->atom[A_STRING] ||
		   rq->target == to->atom[A_TEXT]) {
		uint32_t len = 0;
		void *data = fetch(from, sel, &type, &len);

		if (data) {
			xcb_change_property(to->c, XCB_PROP_MODE_REPLACE, rq->requestor, prop,
					    to->atom[type], 8, len, data);
			ev.property = prop;
			free(data);
		}
	}
	xcb_send_event(to->c, 0, rq->requestor, XCB_EVENT_MASK_NO_EVENT, (const char *)&ev);
	xcb_flush(to->c);
}

/* One event of side @k (the other is @o). Return: -1 when @k's display is gone. */
static int handle(struct side *k, struct side *o, xcb_generic_event_t *ev)
{
	uint8_t type = ev->response_type & 0x7f;

	if (type == k->xfixes_event + XCB_XFIXES_SELECTION_NOTIFY) {
		xcb_xfixes_selection_notify_event_t *n = (xcb_xfixes_selection_notify_event_t *)ev;
		int sel = n->selection == k->atom[A_PRIMARY] ? A_PRIMARY : A_CLIPBOARD;

		/* a client of @k took it (not the bridge itself): the bridge takes it on @o */
		if (n->owner != XCB_NONE && n->owner != k->win) {
			xcb_set_selection_owner(o->c, o->win, o->atom[sel], XCB_CURRENT_TIME);
			xcb_flush(o->c);
		}
	} else if (type == XCB_SELECTION_REQUEST) {
		answer(k, o, (xcb_selection_request_event_t *)ev);
	}
	return 0;
}

/*
 * The bridge, in its helper process: h->clip says which displays. Runs
 * until either display goes (the nested one goes with the VM), or it is
 * stopped. Never returns.
 */
_Noreturn void clip_exec(const struct fvm_vm *vm, const struct helper *h)
{
	struct side s[2] = { 0 };
	char nested[16], msg[300];

	prctl(PR_SET_NAME, "fvm-clip");
	snprintf(nested, sizeof(nested), ":%u", h->clip->nested);
	if (xcb_dl_load(msg, sizeof(msg)) < 0) {
		dprintf(2, "fvm: clipboard: %s\n", msg);
		_exit(1);
	}
	if (side_open(&s[0], h->clip->host_display, h->clip->host) < 0 ||
	    side_open(&s[1], nested, h->clip->own) < 0) {
		dprintf(2, "fvm: clipboard: cannot connect to %s and %s (XFixes)\n", h->clip->host_display, nested);
		_exit(1);
	}
	if (write(3, "\n", 1) != 1)   /* ready: fvm start goes on */
		_exit(1);
	close(3);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = xcb_get_file_descriptor(s[0].c), .events = POLLIN },
			{ .fd = xcb_get_file_descriptor(s[1].c), .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		for (int i = 0; i < 2; i++) {
			xcb_generic_event_t *ev;

			while ((ev = xcb_poll_for_event(s[i].c))) {
				handle(&s[i], &s[1 - i], ev);
				free(ev);
			}
			if (xcb_connection_has_error(s[i].c))
				_exit(0);
		}
	}
}
