// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * import-settings.c - the new VM's config.json from an imported archive's
 * manifest: its settings through the same checks as any VM's config
 * (config_load()), those that loosen isolation dropped and reported unless
 * the importer trusts them, its new identity (name, owner, uid range, the
 * importer's home), and where this host differs from the archive's.
 * The import itself: import.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "changes/import.h"

/* Drop what loosens isolation from the archive's settings, saying so. */
static void sanitize_settings(struct imp *m, json_object *set)
{
	json_object *v, *pol, *keep;
	const char *net = NULL;

	if (m->o && m->o->trust_settings)
		return;
	if (json_object_object_get_ex(set, "net", &v))
		net = json_object_get_string(v);
	if (net && !strcmp(net, "host")) {
		json_object_object_add(set, "net", json_object_new_string("none"));
		warn(m, "setting not imported: --net host (the VM gets --net none; 'fvm config NAME --net host' to give it)");
	}
	if (json_object_object_get_ex(set, "publish", &v) && json_object_array_length(v)) {
		json_object_object_del(set, "publish");
		warn(m, "setting not imported: published ports (--publish)");
	}
	if (json_object_object_get_ex(set, "host_loopback", &v) && json_object_get_boolean(v)) {
		json_object_object_del(set, "host_loopback");
		warn(m, "setting not imported: --host-loopback on");
	}
	/* --gui and --device came after this list: the host's display or
	 * compositor (x11-host reads every key typed on the host), a window on
	 * it, or a host device node are the importer's to give */
	if (json_object_object_get_ex(set, "gui", &v) && strcmp(json_object_get_string(v), "none")) {
		json_object_object_add(set, "gui", json_object_new_string("none"));
		warn(m, "setting not imported: --gui (the VM gets none; 'fvm config NAME --gui x11' to give it a nested display)");
	}
	if (json_object_object_get_ex(set, "sound", &v) && strcmp(json_object_get_string(v), "none")) {
		json_object_object_add(set, "sound", json_object_new_string("none"));
		warn(m, "setting not imported: --sound (the VM gets none; 'fvm config NAME --sound pulse' to give it your sound server)");
	}
	if (json_object_object_get_ex(set, "clipboard", &v) && json_object_get_boolean(v)) {
		json_object_object_del(set, "clipboard");
		warn(m, "setting not imported: --clipboard on");
	}
	if (json_object_object_get_ex(set, "dbus_talk", &v)) {
		if (json_object_is_type(v, json_type_array) && json_object_array_length(v))
			warn(m, "setting not imported: --dbus-talk names of your session bus");
		json_object_object_del(set, "dbus_talk");
	}
	if (json_object_object_get_ex(set, "devices", &v)) {
		if (json_object_is_type(v, json_type_array) && json_object_array_length(v))
			warn(m, "setting not imported: --device nodes of the host");
		json_object_object_del(set, "devices");
	}
	/* no process limit, or one over the default, lets the VM fork the host
	 * to its knees (rootless there is no cgroup to hold one: nothing to say) */
	if (json_object_object_get_ex(set, "limits", &v) && json_object_is_type(v, json_type_object)) {
		json_object *p;

		if (json_object_object_get_ex(v, "pids", &p) &&
		    (!json_object_is_type(p, json_type_int) || json_object_get_int64(p) > FVM_PIDS_DEFAULT)) {
			json_object_object_del(v, "pids");
			if (!m->store->rootless)
				warn(m, "setting not imported: a process limit over the default (the VM gets --pids 2048; 'fvm config NAME --pids N' to raise it)");
		}
	}
	if (json_object_object_get_ex(set, "hardening", &v)) {
		json_object *c, *sc;

		if ((json_object_object_get_ex(v, "capabilities", &c) && strcmp(json_object_get_string(c), "default")) ||
		    (json_object_object_get_ex(v, "seccomp", &sc) && strcmp(json_object_get_string(sc), "default")))
			warn(m, "setting not imported: --caps/--seccomp (the VM gets the default hardening)");
		json_object_object_del(set, "hardening");
	}
	if (json_object_object_get_ex(set, "policies", &pol) && json_object_is_type(pol, json_type_array)) {
		keep = json_object_new_array();
		for (size_t i = 0; i < json_object_array_length(pol) && i < MAX_POLICIES; i++) {
			json_object *e = json_object_array_get_idx(pol, i), *mode;
			const char *k = json_object_object_get_ex(e, "mode", &mode) ? json_object_get_string(mode) : "";

			if (k && (!strcmp(k, "share") || !strcmp(k, "cow"))) {
				warn(m, "setting not imported: a --share or --cow path policy");
				continue;
			}
			json_object_array_add(keep, json_object_get(e));
		}
		json_object_object_add(set, "policies", keep);
	}
}

/* config.json of the new VM: the archive's settings, its new identity. */
int import_write_config(struct imp *m, json_object *manifest, time_t now)
{
	json_object *set = NULL, *v;
	const char *txt;
	int r;

	if (manifest && json_object_object_get_ex(manifest, "settings", &v) && json_object_is_type(v, json_type_object))
		set = json_tokener_parse(json_object_to_json_string(v));   /* a copy */
	if (!set)
		set = json_object_new_object();
	if (!json_object_object_get_ex(set, "net", &v))
		json_object_object_add(set, "net", json_object_new_string("none"));
	if (!json_object_object_get_ex(set, "hostname", &v))
		json_object_object_add(set, "hostname", json_object_new_string(m->vm.cfg.name));
	if (hostname_check(json_object_object_get_ex(set, "hostname", &v) ? json_object_get_string(v) : "", NULL) < 0) {
		json_object_object_add(set, "hostname", json_object_new_string(m->vm.cfg.name));
		warn(m, "setting not imported: a hostname that is not 1-64 letters, digits, '-' or '.' (the VM's name instead)");
	}
	sanitize_settings(m, set);
	json_object_object_add(set, "name", json_object_new_string(m->vm.cfg.name));
	json_object_object_add(set, "created", json_object_new_int64((int64_t)now));
	json_object_object_add(set, "mode", json_object_new_string(m->store->rootless ? "rootless" : "root"));
	{
		/* the importer's home, as at create (store/view.c): never the archive's */
		_cleanup_free_ char *home = caller_home();

		json_object_object_del(set, "home");
		if (home)
			json_object_object_add(set, "home", json_object_new_string(home));
	}
	/* ids are the importer's (single: owners are dropped), never the archive's */
	json_object_object_del(set, "ids");
	json_object_object_del(set, "subuid");
	json_object_object_del(set, "subgid");
	json_object_object_del(set, "ids_note");
	if (m->store->rootless) {
		json_object_object_add(set, "owner", json_object_new_int64(m->store->uid));
	} else {
		json_object_object_add(set, "uid_base", json_object_new_int64(m->vm.cfg.uid_base));
		json_object_object_add(set, "uid_count", json_object_new_int64(UID_RANGE));
	}
	txt = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_fileat_atomic(m->vm.dirfd, "config.json", txt, strlen(txt), 0644, false);
	json_object_put(set);
	if (r < 0)
		return fvm_errf(m->err, r, "import of VM '%s': cannot write its config: %s", m->vm.cfg.name, strerror(-r));
	{
		uid_t base = m->vm.cfg.uid_base;   /* config_load() checks the result as any VM's config */

		config_release(&m->vm.cfg);
		memset(&m->vm.cfg.created, 0, sizeof(m->vm.cfg) - offsetof(struct vm_config, created));
		r = config_load(&m->vm, m->err);
		if (r == 0 && !m->store->rootless && m->vm.cfg.uid_base != base)
			r = -EBADMSG;
	}
	return r < 0 ? fvm_errf(m->err, r, "import of VM '%s': the archive's settings are not valid: %s",
				m->vm.cfg.name, m->err && m->err->msg[0] ? m->err->msg : strerror(-r)) : 0;
}

/* Warnings where this host differs from the one the archive was made on. */
void import_compare_base(struct imp *m, json_object *manifest)
{
	json_object *theirs, *ours = xfer_host_base();
	static const char *const keys[] = { "id", "version_id", "arch", "packages_digest" };
	bool differs = false;

	if (!manifest || !json_object_object_get_ex(manifest, "base", &theirs) || !ours) {
		json_object_put(ours);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_object *a, *b;
		const char *sa, *sb;
		char msg[300];

		sa = json_object_object_get_ex(theirs, keys[i], &a) ? json_object_get_string(a) : "";
		sb = json_object_object_get_ex(ours, keys[i], &b) ? json_object_get_string(b) : "";
		if (!strcmp(sa ? sa : "", sb ? sb : ""))
			continue;
		differs = true;
		snprintf(msg, sizeof(msg), "this host differs from the one the VM was exported on: %s is '%.100s' here, '%.100s' there%s",
			 keys[i], sb, sa, i == 3 ? " (another package set: files the VM changed may not match this host's)" : "");
		warn(m, msg);
	}
	json_object_object_add(m->report, "host_differs", json_object_new_boolean(differs));
	json_object_put(ours);
}
