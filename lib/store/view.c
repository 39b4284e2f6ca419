// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * view.c - a VM's view of the host besides the host's mounts, made once per
 * VM object from its config and read by everything that must agree on it:
 * boot (the mount plan, the whiteouts), diff, commit and discard (what is
 * fvm's doing, not a change of the VM) and inspect.
 *
 *  - the effective path policies: the defaults (a private /run), the
 *    profile's, the VM's own; parents first, so a deeper one wins;
 *  - the hidden paths: every store fvm knows of (stores.c) and the hide
 *    policies. Their whiteouts are fvm's, and nothing may remove them or
 *    what holds them.
 *
 * The untrusted profile hides the owner's secrets below the home recorded
 * at create (cfg.home), never below the $HOME a command happens to run
 * with: a diff, a commit and a boot of one VM see the same paths.
 */
#include <errno.h>
#include <stdlib.h>

#include "store/store.h"

static void view_free(struct vm_view *v)
{
	if (!v)
		return;
	policies_free(v->policies, v->npolicies);
	fvm_strv_free(v->hidden);
	free(v);
}

static int view_make(struct fvm_vm *vm, struct vm_view **ret)
{
	struct vm_view *v = calloc(1, sizeof(*v));
	char **stores;
	size_t ns = 0;
	int r;

	if (!v)
		return -ENOMEM;
	r = policies_effective(&vm->cfg, vm->cfg.home, &v->policies, &v->npolicies);
	stores = r == 0 ? vm_stores_hidden(vm, &ns) : NULL;
	if (r == 0 && !stores)
		r = -ENOMEM;
	for (size_t i = 0; r == 0 && i < ns; i++)
		r = strv_push(&v->hidden, &v->nhidden, stores[i]);
	for (size_t i = 0; r == 0 && i < v->npolicies; i++)
		if (v->policies[i].kind == FVM_POLICY_HIDE)
			r = strv_push(&v->hidden, &v->nhidden, v->policies[i].path);
	if (r < 0) {
		view_free(v);
		return r;
	}
	*ret = v;
	return 0;
}

/**
 * vm_view() - @vm's view, made on the first call and kept with @vm
 *
 * Return: the view (owned by @vm), or NULL when out of memory.
 */
const struct vm_view *vm_view(struct fvm_vm *vm)
{
	if (!vm->view && view_make(vm, &vm->view) < 0)
		vm->view = NULL;
	return vm->view;
}

/* @vm's settings changed: its view is made anew when next asked for. */
void vm_view_drop(struct fvm_vm *vm)
{
	view_free(vm->view);
	vm->view = NULL;
}

/* Is @path one fvm hides (a store, a hide policy) or below one? Out of
 * memory counts as hidden: fvm then leaves the path alone. */
bool in_store(struct fvm_vm *vm, const char *path)
{
	const struct vm_view *v = vm_view(vm);

	for (size_t i = 0; v && i < v->nhidden; i++)
		if (path_has_prefix(path, v->hidden[i]))
			return true;
	return !v;
}

/* Does @path hold what fvm hides below it (so deleting @path would remove it)? */
bool store_below(struct fvm_vm *vm, const char *path)
{
	const struct vm_view *v = vm_view(vm);

	for (size_t i = 0; v && i < v->nhidden; i++)
		if (path_has_prefix(v->hidden[i], path))
			return true;
	return !v;
}
