// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-view.c - a VM's view (lib/store/view.c), on a real store in a
 * scratch directory: the effective policies and the hidden paths, the
 * owner's home fixed at create (a later $HOME changes nothing), and the
 * view made anew when the settings change. Root mode allocates a uid range:
 * its registry is pointed into the scratch directory.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/store.h"
#include "tap.h"

static char scratch[] = "/tmp/fvm-test-view.XXXXXX";

static bool hidden_has(const struct vm_view *v, const char *path)
{
	for (size_t i = 0; v && i < v->nhidden; i++)
		if (!strcmp(v->hidden[i], path))
			return true;
	return false;
}

static bool sorted(const struct vm_view *v)
{
	for (size_t i = 1; i < v->npolicies; i++)
		if (strlen(v->policies[i - 1].path) > strlen(v->policies[i].path))
			return false;
	return true;
}

int main(void)
{
	char home[256], other[256], store_path[256], reg[256], p[PATH_MAX];
	struct fvm_policy pol[] = { { .path = "/tmp", .kind = FVM_POLICY_RO } };
	struct fvm_vm_opts o = { .untrusted = true, .policies = pol, .npolicies = 1 };
	struct fvm_error e = { 0 };
	struct fvm_store *s = NULL;
	struct fvm_vm *vm = NULL;
	const struct vm_view *v;
	char *real;

	tap_plan(11);
	if (!mkdtemp(scratch))
		return 1;
	real = realpath(scratch, NULL);
	snprintf(home, sizeof(home), "%s/home", real);
	snprintf(other, sizeof(other), "%s/other", real);
	snprintf(store_path, sizeof(store_path), "%s/store", real);
	snprintf(reg, sizeof(reg), "%s/reg/ranges", real);
	mkdir(home, 0700);
	mkdir(other, 0700);
	setenv("HOME", home, 1);
	setenv("FVM_UID_REGISTRY", reg, 1);
	if (fvm_store_open(store_path, &s, &e) < 0 || fvm_vm_create(s, "v", &o, NULL, &e) < 0) {
		printf("Bail out! cannot make a VM in %s: %s\n", store_path, e.msg);
		return 1;
	}

	setenv("HOME", other, 1);   /* a later command, with another $HOME */
	if (fvm_vm_open(s, "v", &vm, &e) < 0) {
		printf("Bail out! cannot open it: %s\n", e.msg);
		return 1;
	}
	v = vm_view(vm);
	tap_ok(v && vm->cfg.home && !strcmp(vm->cfg.home, home), "the home recorded at create is kept");
	snprintf(p, sizeof(p), "%s/.ssh", home);
	tap_ok(hidden_has(v, p), "the untrusted profile hides the create-time home's ~/.ssh");
	snprintf(p, sizeof(p), "%s/.ssh", other);
	tap_ok(!hidden_has(v, p), "not the ~/.ssh of the $HOME of the moment");
	tap_ok(hidden_has(v, store_path), "the VM's own store is hidden");
	tap_ok(v && sorted(v), "the effective policies are parents first");
	snprintf(p, sizeof(p), "%s/vms/v/layers", store_path);
	tap_ok(in_store(vm, p), "a path in the store counts as fvm's");
	tap_ok(store_below(vm, "/") && !in_store(vm, "/usr"), "/ holds what fvm hides, /usr is not hidden");
	tap_ok(vm_view(vm) == v, "the view is made once per VM object");

	o = (struct fvm_vm_opts){ .untrusted = false };
	tap_ok(fvm_vm_update(vm, &o, FVM_SET_PROFILE, &e) == 0, "the profile can be changed");
	v = vm_view(vm);
	snprintf(p, sizeof(p), "%s/.ssh", home);
	tap_ok(v && !hidden_has(v, p), "after the change the view is made anew: ~/.ssh is no longer hidden");
	tap_ok(fvm_vm_remove(vm, false, &e) == 0, "the VM is removed");

	fvm_vm_free(vm);
	fvm_store_free(s);
	snprintf(p, sizeof(p), "rm -rf '%s'", real);
	if (system(p) != 0)
		printf("# could not remove %s\n", real);
	free(real);
	return tap_done();
}
