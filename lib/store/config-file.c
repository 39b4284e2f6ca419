// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * config-file.c - a VM's config.json and run/state.json, read and written with
 * json-c. A config that fails any check is reported as corrupted with the
 * file's path; nothing here ever deletes or rewrites a bad file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "store/store.h"

/* "schema_version" of the object fvm_vm_inspect_json() returns */
#define INSPECT_SCHEMA_VERSION 1

/* json_putp() - put *@o if there is one (for _cleanup_json_) */
void json_putp(json_object **o)
{
	if (*o)
		json_object_put(*o);
}

/**
 * json_object_at() - @file below @dirfd (bounded: SMALL_FILE_MAX), parsed
 * as one JSON object into *@ret
 *
 * Return: 0, -EBADMSG when it is no JSON object, or another -errno.
 */
int json_object_at(int dirfd, const char *file, struct json_object **ret)
{
	_cleanup_free_ char *buf = NULL;
	json_object *o;
	int r = read_small_fileat(dirfd, file, &buf, NULL);

	if (r < 0)
		return r;
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		if (o)
			json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

/* json_save_at() - @o as @name below @dirfd, replaced atomically and synced */
int json_save_at(int dirfd, const char *name, struct json_object *o)
{
	const char *t = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);

	return write_fileat_atomic(dirfd, name, t, strlen(t), 0600, true);
}

static bool get_int(json_object *o, const char *key, long long min, long long max,
		    long long *ret)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	errno = 0;
	*ret = json_object_get_int64(v);
	return errno == 0 && *ret >= min && *ret <= max;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int corrupt(struct fvm_vm *vm, struct fvm_error *err, const char *what)
{
	return fvm_errf(err, -EBADMSG,
			"VM '%s': %s/config.json is corrupted (%s): repair or move it away by hand; fvm does not touch it",
			vm->cfg.name, vm->dir, what);
}

/* The owner's home as create recorded it; configs older than it get the
 * caller's, as every command then computed it. */
static int load_home(struct fvm_vm *vm, json_object *o, struct fvm_error *err)
{
	const char *s = get_str(o, "home");

	free(vm->cfg.home);
	if (!s) {
		vm->cfg.home = caller_home();
		return 0;
	}
	if (*s != '/' || strlen(s) >= PATH_MAX || strchr(s, '\n'))
		return corrupt(vm, err, "bad 'home'");
	vm->cfg.home = strdup(s);
	return vm->cfg.home ? 0 : -ENOMEM;
}

/* "devices": stored as given; each boot checks the nodes again (gui.c) */
static int load_devices(struct fvm_vm *vm, json_object *x, struct fvm_error *err)
{
	struct vm_config *c = &vm->cfg;
	size_t n;

	if (!json_object_is_type(x, json_type_array) || json_object_array_length(x) > MAX_DEVICES)
		return corrupt(vm, err, "'devices' must be an array of at most 16");
	n = json_object_array_length(x);
	c->devices = calloc(n + 1, sizeof(*c->devices));
	if (!c->devices)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *ent = json_object_array_get_idx(x, i), *dp, *da;
		const char *path;

		if (!json_object_object_get_ex(ent, "path", &dp) || !json_object_is_type(dp, json_type_string))
			return corrupt(vm, err, "bad entry in 'devices'");
		path = json_object_get_string(dp);
		if (strlen(path) >= DEVICE_PATH_MAX || strncmp(path, "/dev/", 5))
			return corrupt(vm, err, "bad path in 'devices'");
		c->devices[i].any = json_object_object_get_ex(ent, "any", &da) && json_object_get_boolean(da);
		c->devices[i].path = strdup(path);
		if (!c->devices[i].path)
			return -ENOMEM;
		c->ndevices = i + 1;
	}
	return 0;
}

/* "policies": the paths the VM's own policies name */
static int load_policies(struct fvm_vm *vm, json_object *o, struct fvm_error *err)
{
	struct vm_config *c = &vm->cfg;
	json_object *pol, *e;

	if (!json_object_object_get_ex(o, "policies", &pol))
		return 0;
	if (!json_object_is_type(pol, json_type_array) || json_object_array_length(pol) > MAX_POLICIES)
		return corrupt(vm, err, "'policies' must be an array of at most 64");
	for (size_t i = 0; i < json_object_array_length(pol); i++) {
		const char *path, *mode;
		enum fvm_policy_kind k;
		struct policy *nv;

		e = json_object_array_get_idx(pol, i);
		path = get_str(e, "path");
		mode = get_str(e, "mode");
		if (!path || *path != '/' || strlen(path) >= 4096 || strstr(path, "/../") ||
		    !mode || policy_parse_name(mode, &k) < 0)
			return corrupt(vm, err, "bad entry in 'policies'");
		nv = realloc(c->policies, (c->npolicies + 1) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->policies = nv;
		nv[c->npolicies].path = strdup(path);
		nv[c->npolicies++].kind = k;
	}
	return 0;
}

/* "limits": memory, cpus, pids, io weight (pids' default set before) */
static int load_limits(struct fvm_vm *vm, json_object *o, struct fvm_error *err)
{
	struct vm_config *c = &vm->cfg;
	json_object *lim, *x;
	long long v;

	if (!json_object_object_get_ex(o, "limits", &lim))
		return 0;
	if (!json_object_is_type(lim, json_type_object))
		return corrupt(vm, err, "'limits' must be an object");
	if (json_object_object_get_ex(lim, "memory", &x) && get_int(lim, "memory", 0, 1LL << 50, &v))
		c->limits.memory = (uint64_t)v;
	if (json_object_object_get_ex(lim, "cpus_milli", &x) && get_int(lim, "cpus_milli", 0, 1024000, &v))
		c->limits.cpus_milli = (unsigned)v;
	/* "max": none; 0 (configs older than the default): the default */
	if (json_object_object_get_ex(lim, "pids", &x) && json_object_is_type(x, json_type_string)) {
		if (strcmp(json_object_get_string(x), "max"))
			return corrupt(vm, err, "'limits.pids' must be a number or \"max\"");
		c->limits.pids = 0;
	} else if (get_int(lim, "pids", 0, 4194304, &v)) {
		c->limits.pids = config_pids(c, (unsigned)v);
	}
	if (json_object_object_get_ex(lim, "io_weight", &x) && get_int(lim, "io_weight", 0, 10000, &v))
		c->limits.io_weight = (unsigned)v;
	return 0;
}

/*
 * Policies, published ports, limits and profile: absent in configs older
 * than them; present, they go through the same checks as on create, except
 * that a policy's host path may have gone since (checked again at boot).
 */
static int load_extras(struct fvm_vm *vm, json_object *o, struct fvm_error *err)
{
	struct vm_config *c = &vm->cfg;
	json_object *pub, *e, *x;
	int r;

	if ((r = load_policies(vm, o, err)) < 0)
		return r;
	if (json_object_object_get_ex(o, "publish", &pub)) {
		if (!json_object_is_type(pub, json_type_array) || json_object_array_length(pub) > MAX_PUBLISH)
			return corrupt(vm, err, "'publish' must be an array of at most 32");
		for (size_t i = 0; i < json_object_array_length(pub); i++) {
			const char *p = json_object_get_string(json_object_array_get_idx(pub, i));
			unsigned h, g;
			char proto[4];

			if (!p || sscanf(p, "%u:%u/%3s", &h, &g, proto) != 3 || !h || h > 65535 || !g ||
			    g > 65535 || (strcmp(proto, "tcp") && strcmp(proto, "udp")) ||
			    strv_push(&c->publish, &c->npublish, p) < 0)
				return corrupt(vm, err, "bad entry in 'publish'");
		}
	}
	if (json_object_object_get_ex(o, "dbus_talk", &x)) {
		if (!json_object_is_type(x, json_type_array) || json_object_array_length(x) > MAX_DBUS_TALK)
			return corrupt(vm, err, "'dbus_talk' must be an array of at most 16");
		for (size_t i = 0; i < json_object_array_length(x); i++) {
			const char *p = json_object_get_string(json_object_array_get_idx(x, i));

			if (!p || !dbus_name_ok(p) || strv_push(&c->dbus_talk, &c->ndbus_talk, p) < 0)
				return corrupt(vm, err, "bad entry in 'dbus_talk'");
		}
	}
	if (json_object_object_get_ex(o, "clipboard", &x))
		c->clipboard = json_object_get_boolean(x);
	if (json_object_object_get_ex(o, "host_loopback", &x))
		c->host_loopback = json_object_get_boolean(x);
	if (json_object_object_get_ex(o, "devices", &x) && (r = load_devices(vm, x, err)) < 0)
		return r;
	if (json_object_object_get_ex(o, "gui", &x)) {
		const char *g = json_object_get_string(x);

		if (!g || gui_parse_name(g, &c->gui) < 0)
			return corrupt(vm, err, "'gui' must be \"none\", \"x11\", \"x11-host\" or \"wayland\"");
	}
	if (json_object_object_get_ex(o, "sound", &x)) {   /* configs older than it: none */
		const char *sn = json_object_get_string(x);

		if (!sn || (strcmp(sn, "none") && strcmp(sn, "pulse")))
			return corrupt(vm, err, "'sound' must be \"none\" or \"pulse\"");
		c->sound = !strcmp(sn, "pulse");
	}
	if (json_object_object_get_ex(o, "cow", &x)) {   /* configs older than it: auto */
		const char *cw = json_object_get_string(x);

		if (cw && !strcmp(cw, "kernel"))
			c->cow = FVM_COW_KERNEL;
		else if (cw && !strcmp(cw, "fuse"))
			c->cow = FVM_COW_FUSE;
		else if (!cw || strcmp(cw, "auto"))
			return corrupt(vm, err, "'cow' must be \"auto\", \"kernel\" or \"fuse\"");
	}
	c->limits.pids = config_pids(c, 0);   /* configs older than limits */
	if ((r = load_limits(vm, o, err)) < 0)
		return r;
	e = NULL;
	if (json_object_object_get_ex(o, "profile", &e))
		c->untrusted = !strcmp(json_object_get_string(e), "untrusted");
	return load_home(vm, o, err);
}

/* Rootless: "ids" (configs older than it: single) and, for sub, the ranges. */
static int load_ids(struct fvm_vm *vm, json_object *o, struct fvm_error *err)
{
	struct vm_config *c = &vm->cfg;
	json_object *x;
	long long v;
	const char *s;

	c->ids = FVM_IDS_SINGLE;
	if (!json_object_object_get_ex(o, "ids", &x))
		return 0;
	s = json_object_get_string(x);
	if (s && !strcmp(s, "single")) {
		s = get_str(o, "ids_note");   /* --ids auto's reason for single */
		snprintf(c->ids_note, sizeof(c->ids_note), "%s", s ? s : "");
		return 0;
	}
	if (!s || strcmp(s, "sub"))
		return corrupt(vm, err, "'ids' must be \"single\" or \"sub\"");
	c->ids = FVM_IDS_SUB;
	/* a range of 65,536 ids that wraps nothing and is not the owner's own id */
	if (!get_int(o, "subuid", 1, UINT32_MAX - UID_RANGE, &v) ||
	    (c->owner >= v && c->owner - v < UID_RANGE))
		return corrupt(vm, err, "bad 'subuid'");
	c->subuid = (uid_t)v;
	if (!get_int(o, "subgid", 1, UINT32_MAX - UID_RANGE, &v))
		return corrupt(vm, err, "bad 'subgid'");
	c->subgid = (gid_t)v;
	return 0;
}

/**
 * config_load() - read and check STORE/vms/NAME/config.json into vm->cfg
 *
 * vm->cfg.name must hold the directory's name: the file must agree.
 */
int config_load(struct fvm_vm *vm, struct fvm_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	struct vm_config *c = &vm->cfg;
	const char *s;
	long long v;
	int r = json_object_at(vm->dirfd, "config.json", &o);


	if (r == -EBADMSG)
		return corrupt(vm, err, "not a JSON object");
	if (r == -EFBIG)
		return corrupt(vm, err, "larger than 1 MiB");
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot read %s/config.json: %s", c->name,
				vm->dir, strerror(-r));
	s = get_str(o, "name");
	if (!s || strcmp(s, c->name))
		return corrupt(vm, err, "name does not match its directory");
	if (!get_int(o, "created", 0, 1LL << 40, &c->created))
		return corrupt(vm, err, "bad 'created'");
	s = get_str(o, "net");
	if (!s || (strcmp(s, "none") && strcmp(s, "host") && strcmp(s, "private")))
		return corrupt(vm, err, "'net' must be \"none\", \"host\" or \"private\"");
	c->net = !strcmp(s, "host") ? FVM_NET_HOST : !strcmp(s, "private") ? FVM_NET_PRIVATE : FVM_NET_NONE;
	s = get_str(o, "hostname");
	if (!s || !*s || strlen(s) >= sizeof(c->hostname))
		return corrupt(vm, err, "bad 'hostname'");
	strcpy(c->hostname, s);
	s = get_str(o, "mode");
	if (!s || (strcmp(s, "root") && strcmp(s, "rootless")))
		return corrupt(vm, err, "'mode' must be \"root\" or \"rootless\"");
	c->rootless = !strcmp(s, "rootless");
	/* hardening: absent in configs older than it means the defaults */
	{
		json_object *h, *hv;

		if (json_object_object_get_ex(o, "hardening", &h)) {
			if (!json_object_is_type(h, json_type_object))
				return corrupt(vm, err, "'hardening' must be an object");
			if (json_object_object_get_ex(h, "capabilities", &hv))
				c->all_caps = !strcmp(json_object_get_string(hv), "all");
			/* only an explicit false turns no_new_privs off: fail closed */
			if (json_object_object_get_ex(h, "no_new_privs", &hv))
				c->new_privs = json_object_is_type(hv, json_type_boolean) &&
					       !json_object_get_boolean(hv);
			/* an unknown value is the default filter: fail closed */
			if (json_object_object_get_ex(h, "seccomp", &hv)) {
				c->no_seccomp = !strcmp(json_object_get_string(hv), "off");
				c->allow_userns = !strcmp(json_object_get_string(hv), "allow-userns");
			}
		}
	}
	r = load_extras(vm, o, err);
	if (r < 0)
		return r;
	if (c->rootless) {
		if (!get_int(o, "owner", 0, UINT32_MAX - 1, &v))
			return corrupt(vm, err, "bad 'owner'");
		c->owner = (uid_t)v;
		r = load_ids(vm, o, err);
		if (r < 0)
			return r;
	} else {
		if (!get_int(o, "uid_base", UID_REGION_BASE,
			     UID_REGION_BASE + (long long)UID_RANGE * (UID_REGION_SLOTS - 1), &v) ||
		    (v - UID_REGION_BASE) % UID_RANGE)
			return corrupt(vm, err, "bad 'uid_base'");
		c->uid_base = (uid_t)v;
		c->uid_count = UID_RANGE;
	}
	return 0;
}

/* The config's fields, as config.json has them and `fvm inspect` shows them. */
static void add_config(json_object *o, const struct vm_config *c)
{
	json_object *h = json_object_new_object();

	json_object_object_add(h, "capabilities", json_object_new_string(c->all_caps ? "all" : "default"));
	json_object_object_add(h, "seccomp", json_object_new_string(c->no_seccomp ? "off" :
								     c->allow_userns ? "allow-userns" : "default"));
	json_object_object_add(h, "no_new_privs", json_object_new_boolean(!c->new_privs));
	json_object_object_add(o, "hardening", h);
	{
		json_object *pol = json_object_new_array(), *pub = json_object_new_array();
		json_object *lim = json_object_new_object();

		for (size_t i = 0; i < c->npolicies; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "path", json_object_new_string(c->policies[i].path));
			json_object_object_add(e, "mode", json_object_new_string(policy_name(c->policies[i].kind)));
			json_object_array_add(pol, e);
		}
		for (size_t i = 0; i < c->npublish; i++)
			json_object_array_add(pub, json_object_new_string(c->publish[i]));
		json_object_object_add(lim, "memory", json_object_new_int64((int64_t)c->limits.memory));
		json_object_object_add(lim, "cpus_milli", json_object_new_int64(c->limits.cpus_milli));
		json_object_object_add(lim, "pids", c->limits.pids ? json_object_new_int64(c->limits.pids) :
								       json_object_new_string("max"));
		/* rootless: no cgroup, so not even the default pids limit holds */
		json_object_object_add(lim, "enforced", json_object_new_boolean(!c->rootless));
		json_object_object_add(lim, "io_weight", json_object_new_int64(c->limits.io_weight));
		json_object_object_add(o, "policies", pol);
		json_object_object_add(o, "publish", pub);
		json_object_object_add(o, "host_loopback", json_object_new_boolean(c->host_loopback));
		if (c->home)
			json_object_object_add(o, "home", json_object_new_string(c->home));
		json_object_object_add(o, "limits", lim);
		json_object_object_add(o, "profile", json_object_new_string(c->untrusted ? "untrusted" : "default"));
		json_object_object_add(o, "gui", json_object_new_string(gui_name(c->gui)));
		json_object_object_add(o, "sound", json_object_new_string(c->sound ? "pulse" : "none"));
		json_object_object_add(o, "clipboard", json_object_new_boolean(c->clipboard));
		{
			json_object *dt = json_object_new_array();

			for (size_t i = 0; i < c->ndbus_talk; i++)
				json_object_array_add(dt, json_object_new_string(c->dbus_talk[i]));
			json_object_object_add(o, "dbus_talk", dt);
		}
		{
			json_object *dv = json_object_new_array();

			for (size_t i = 0; i < c->ndevices; i++) {
				json_object *e = json_object_new_object();

				json_object_object_add(e, "path", json_object_new_string(c->devices[i].path));
				json_object_object_add(e, "any", json_object_new_boolean(c->devices[i].any));
				json_object_array_add(dv, e);
			}
			json_object_object_add(o, "devices", dv);
		}
	}
	json_object_object_add(o, "net", json_object_new_string(c->net == FVM_NET_HOST ? "host" :
								 c->net == FVM_NET_PRIVATE ? "private" : "none"));
	json_object_object_add(o, "hostname", json_object_new_string(c->hostname));
	json_object_object_add(o, "mode", json_object_new_string(c->rootless ? "rootless" : "root"));
	json_object_object_add(o, "cow", json_object_new_string(c->cow == FVM_COW_FUSE ? "fuse" :
								 c->cow == FVM_COW_KERNEL ? "kernel" : "auto"));
	if (c->rootless) {
		json_object_object_add(o, "owner", json_object_new_int64(c->owner));
		json_object_object_add(o, "ids", json_object_new_string(c->ids == FVM_IDS_SUB ? "sub" : "single"));
		if (c->ids != FVM_IDS_SUB && c->ids_note[0])
			json_object_object_add(o, "ids_note", json_object_new_string(c->ids_note));
		if (c->ids == FVM_IDS_SUB) {
			json_object_object_add(o, "subuid", json_object_new_int64(c->subuid));
			json_object_object_add(o, "subgid", json_object_new_int64(c->subgid));
		}
	} else {
		json_object_object_add(o, "uid_base", json_object_new_int64(c->uid_base));
		json_object_object_add(o, "uid_count", json_object_new_int64(c->uid_count));
	}
}

int config_save(struct fvm_vm *vm, struct fvm_error *err)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	const struct vm_config *c = &vm->cfg;
	const char *txt;
	int r;

	if (!o)
		return -ENOMEM;
	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "created", json_object_new_int64(c->created));
	add_config(o, c);
	txt = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	r = write_fileat_atomic(vm->dirfd, "config.json", txt, strlen(txt), 0644, true);
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot write %s/config.json: %s", c->name,
				vm->dir, strerror(-r));
	return 0;
}

int state_load(struct fvm_vm *vm, struct vm_state *ret)
{
	_cleanup_json_ json_object *o = NULL;
	long long pid, st, ns = 0;
	json_object *p;
	int r = json_object_at(vm->dirfd, "run/state.json", &o);

	if (r < 0)
		return r;
	if (!get_int(o, "pid", 1, 1 << 30, &pid) || !get_int(o, "starttime", 0, 1LL << 62, &st))
		return -EBADMSG;
	ret->pid = (pid_t)pid;
	ret->starttime = (unsigned long long)st;
	ret->persist = json_object_object_get_ex(o, "persist", &p) && json_object_get_boolean(p);
	if (json_object_object_get_ex(o, "pidns", &p) && !get_int(o, "pidns", 1, 1LL << 62, &ns))
		return -EBADMSG;
	ret->pidns = (unsigned long)ns;
	return 0;
}

int state_save(struct fvm_vm *vm, const struct vm_state *st)
{
	char buf[160];
	int n = snprintf(buf, sizeof(buf),
			 "{\"pid\": %d, \"starttime\": %llu, \"persist\": %s, \"pidns\": %lu}\n",
			 (int)st->pid, st->starttime, st->persist ? "true" : "false", st->pidns);
	_cleanup_close_ int run = openat(vm->dirfd, "run", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (run < 0)
		return -errno;
	/* runtime state: after a crash it is stale anyway, no fsync */
	return write_fileat_atomic(run, "state.json", buf, (size_t)n, 0644, false);
}

/* The object `fvm inspect` prints for one VM. Caller frees. */
char *config_to_json(struct fvm_vm *vm, const struct vm_state *st, bool running,
		     int nprocs)
{
	_cleanup_json_ json_object *o = json_object_new_object();
	const struct vm_config *c = &vm->cfg;
	json_object *layers;

	if (!o)
		return NULL;
	/* the object is a contract (fvm.h, fvm_vm_inspect_json()): a new
	 * version for any field that changes type or meaning, or goes */
	json_object_object_add(o, "schema_version", json_object_new_int(INSPECT_SCHEMA_VERSION));
	json_object_object_add(o, "name", json_object_new_string(c->name));
	json_object_object_add(o, "created", json_object_new_int64(c->created));
	json_object_object_add(o, "state", json_object_new_string(running ? "running" : "stopped"));
	json_object_object_add(o, "init_pid", running ? json_object_new_int(st->pid) : NULL);
	json_object_object_add(o, "persistent", json_object_new_boolean(running && st->persist));
	json_object_object_add(o, "processes", json_object_new_int(nprocs));
	add_config(o, c);
	json_object_object_add(o, "path", json_object_new_string(vm->dir));
	json_object_object_add(o, "service", service_json((struct fvm_vm *)vm));
	{
		/* what applies at the next boot: defaults, profile and the VM's own */
		json_object *eff = json_object_new_array();
		const struct vm_view *view = vm_view(vm);

		for (size_t i = 0; view && i < view->npolicies; i++) {
			json_object *e = json_object_new_object();

			json_object_object_add(e, "path", json_object_new_string(view->policies[i].path));
			json_object_object_add(e, "mode", json_object_new_string(policy_name(view->policies[i].kind)));
			json_object_array_add(eff, e);
		}
		json_object_object_add(o, "effective_policies", eff);
	}
	layers = json_object_new_array();
	json_object_object_add(o, "layers", layers);
	layers_to_json(vm, layers);
	if (running && c->rootless)
		fuseovl_inspect(vm, layers);
	return strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
}
