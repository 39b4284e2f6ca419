// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * service-state.c - a VM's service as STORE/vms/NAME/service.json records
 * it (written by its supervisor alone, vm/service.c): read bounded, parsed
 * with json-c, every field checked; a reader checks that the supervisor it
 * names is alive with the same start time, else the service is "dead".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include <json-c/json.h>

#include "store/store.h"

static bool get_u64(json_object *o, const char *key, uint64_t max, uint64_t *ret)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max)
		return false;
	*ret = (uint64_t)x;
	return true;
}

/* service.json into @ret; the command as one line, spaces between. */
static int svc_parse(json_object *o, struct fvm_service_status *ret, unsigned long long *ret_start)
{
	json_object *argv, *state, *restart, *last, *user;
	uint64_t max, n, pid, start, since;
	size_t used = 0;

	if (!json_object_object_get_ex(o, "command", &argv) || !json_object_is_type(argv, json_type_array) ||
	    !json_object_object_get_ex(o, "state", &state) || !json_object_is_type(state, json_type_string) ||
	    !json_object_object_get_ex(o, "restart", &restart) || !json_object_is_type(restart, json_type_string) ||
	    !get_u64(o, "max_restarts", FVM_SERVICE_RESTARTS_MAX, &max) ||
	    !get_u64(o, "restarts", FVM_SERVICE_RESTARTS_MAX, &n) ||
	    !get_u64(o, "supervisor_pid", 1 << 30, &pid) || !get_u64(o, "supervisor_starttime", 1ULL << 62, &start) ||
	    !get_u64(o, "since", 1ULL << 40, &since) || (size_t)json_object_get_string_len(state) >= sizeof(ret->state))
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->defined = true;
	snprintf(ret->state, sizeof(ret->state), "%s", json_object_get_string(state));
	ret->restart = !strcmp(json_object_get_string(restart), "on-failure") ? FVM_RESTART_ON_FAILURE : FVM_RESTART_NO;
	ret->max_restarts = (unsigned)max;
	ret->restarts = (unsigned)n;
	ret->last_status = -1;
	if (json_object_object_get_ex(o, "last_status", &last) && json_object_is_type(last, json_type_int))
		ret->last_status = json_object_get_int(last) & 0xffff;
	ret->supervisor_pid = (pid_t)pid;
	ret->since = (time_t)since;
	if (json_object_object_get_ex(o, "user", &user)) {
		if (!json_object_is_type(user, json_type_string) ||
		    (size_t)json_object_get_string_len(user) >= sizeof(ret->user))
			return -EBADMSG;
		snprintf(ret->user, sizeof(ret->user), "%s", json_object_get_string(user));
	}
	for (size_t i = 0; i < json_object_array_length(argv) && i < SVC_ARGS_MAX; i++) {
		json_object *a = json_object_array_get_idx(argv, i);

		if (!json_object_is_type(a, json_type_string))
			return -EBADMSG;
		used += (size_t)snprintf(ret->command + used, sizeof(ret->command) - used, "%s%s", i ? " " : "",
					 json_object_get_string(a));
		if (used >= sizeof(ret->command)) {
			used = sizeof(ret->command) - 1;
			break;
		}
	}
	*ret_start = start;
	return 0;
}

/* Is the supervisor of @st alive, the same process that wrote it? */
static bool supervisor_alive(const struct fvm_service_status *st, unsigned long long start)
{
	unsigned long long now;

	return st->supervisor_pid > 0 && proc_starttime(st->supervisor_pid, &now) == 0 && now == start;
}

FVM_PUBLIC int fvm_vm_service_status(struct fvm_vm *vm, struct fvm_service_status *ret,
				     struct fvm_error *err)
{
	_cleanup_json_ json_object *o = NULL;
	_cleanup_free_ char *buf = NULL;
	struct fvm_service_status st;
	unsigned long long start = 0;
	int r = read_small_fileat(vm->dirfd, "service.json", &buf, NULL);

	if (r == -ENOENT) {
		memset(ret, 0, sizeof(*ret));
		ret->last_status = -1;
		return 0;
	}
	if (r < 0)
		return fvm_errf(err, r, "VM '%s': cannot read %s/service.json: %s", vm->cfg.name, vm->dir,
				strerror(-r));
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object) || svc_parse(o, &st, &start) < 0)
		return fvm_errf(err, -EBADMSG, "VM '%s': %s/service.json is corrupted: start the service again with 'fvm start %s -- COMMAND'",
				vm->cfg.name, vm->dir, vm->cfg.name);
	if (!strcmp(st.state, "running") || !strcmp(st.state, "restarting")) {
		if (!supervisor_alive(&st, start))
			snprintf(st.state, sizeof(st.state), "dead");
	}
	if (strcmp(st.state, "running") && strcmp(st.state, "restarting"))
		st.supervisor_pid = 0;
	*ret = st;
	return 0;
}

/* The service for fvm inspect: an object, or NULL (JSON null) for none. */
json_object *service_json(struct fvm_vm *vm)
{
	struct fvm_service_status st;
	json_object *o;

	if (fvm_vm_service_status(vm, &st, NULL) < 0 || !st.defined || !(o = json_object_new_object()))
		return NULL;
	json_object_object_add(o, "command", json_object_new_string(st.command));
	json_object_object_add(o, "state", json_object_new_string(st.state));
	json_object_object_add(o, "user", json_object_new_string(st.user[0] ? st.user : "root"));
	json_object_object_add(o, "restart", json_object_new_string(st.restart == FVM_RESTART_ON_FAILURE ? "on-failure" : "no"));
	json_object_object_add(o, "max_restarts", json_object_new_int64(st.max_restarts));
	json_object_object_add(o, "restarts", json_object_new_int64(st.restarts));
	json_object_object_add(o, "last_status", st.last_status < 0 ? NULL : json_object_new_int(st.last_status));
	json_object_object_add(o, "supervisor_pid", st.supervisor_pid ? json_object_new_int(st.supervisor_pid) : NULL);
	json_object_object_add(o, "since", json_object_new_int64(st.since));
	return o;
}
