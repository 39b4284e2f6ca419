// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test-config.c - the checks a VM's settings go through (config_apply(),
 * config_pids()) and the effective path policies boot, diff and commit
 * read (policies_effective()): bad values are refused with -EINVAL or
 * -E2BIG and leave no half-applied list, published ports are normalized,
 * policies on one path merge, and the effective list has the defaults,
 * no COW entries, and parents before children.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "tap.h"

static struct vm_config fresh(bool rootless)
{
	struct vm_config c = { .rootless = rootless };

	snprintf(c.name, sizeof(c.name), "t");
	return c;
}

/* config_apply() of @o's fields @what on a fresh config; its return */
static int apply(const struct fvm_vm_opts *o, unsigned what, struct vm_config *ret)
{
	struct fvm_error e = { 0 };

	*ret = fresh(false);
	return config_apply(ret, o, what, &e);
}

static void test_pids(void)
{
	struct vm_config root = fresh(false), user = fresh(true);

	tap_ok(config_pids(&root, 0) == FVM_PIDS_DEFAULT, "root mode: the default pids limit");
	tap_ok(config_pids(&user, 0) == 0, "rootless: no pids limit claimed without a cgroup");
	tap_ok(config_pids(&root, FVM_PIDS_UNLIMITED) == 0, "unlimited is stored as none");
	tap_ok(config_pids(&root, 100) == 100, "an explicit limit is kept");
}

static void test_ids(void)
{
	struct vm_config c = fresh(true);
	struct fvm_vm_opts o = { .ids = FVM_IDS_SUB };
	struct fvm_error e = { 0 };

	tap_ok(config_apply(&c, &o, FVM_SET_IDS, &e) == 0 && c.ids == FVM_IDS_SUB, "rootless: --ids sub is kept");
	o.ids = FVM_IDS_AUTO;
	tap_ok(config_apply(&c, &o, FVM_SET_IDS, &e) == 0 && c.ids == FVM_IDS_AUTO,
	       "rootless: --ids auto is kept for create to resolve");
	o.ids = (enum fvm_ids)7;
	tap_ok(config_apply(&c, &o, FVM_SET_IDS, &e) == -EINVAL, "an unknown --ids value is refused");
	c = fresh(false);
	o.ids = FVM_IDS_SUB;
	tap_ok(config_apply(&c, &o, FVM_SET_IDS, &e) == 0 && c.ids == FVM_IDS_SINGLE,
	       "root mode: --ids is ignored (every VM has a range of its own)");
}

static void test_limits(void)
{
	struct vm_config c;
	struct fvm_vm_opts o = { 0 };

	o.limits.memory = 1u << 20;
	tap_ok(apply(&o, FVM_SET_MEMORY, &c) == -EINVAL, "--memory below 4M is refused");
	config_release(&c);
	o.limits.memory = 64u << 20;
	tap_ok(apply(&o, FVM_SET_MEMORY, &c) == 0 && c.limits.memory == 64u << 20, "--memory 64M is kept");
	config_release(&c);
	o = (struct fvm_vm_opts){ .limits.cpus_milli = 5 };
	tap_ok(apply(&o, FVM_SET_CPUS, &c) == -EINVAL, "--cpus 0.005 is refused");
	config_release(&c);
	o = (struct fvm_vm_opts){ .limits.pids = 4194305 };
	tap_ok(apply(&o, FVM_SET_PIDS, &c) == -EINVAL, "--pids above the kernel's maximum is refused");
	config_release(&c);
	o = (struct fvm_vm_opts){ .limits.io_weight = 10001 };
	tap_ok(apply(&o, FVM_SET_IO_WEIGHT, &c) == -EINVAL, "--io-weight above 10000 is refused");
	config_release(&c);
	o = (struct fvm_vm_opts){ .net = (enum fvm_net)42 };
	tap_ok(apply(&o, FVM_SET_NET, &c) == -EINVAL, "an unknown network mode is refused");
	config_release(&c);
}

static void test_publish(void)
{
	static char *const ok[] = { "8080:80", "53:53/udp", NULL };
	static char *const bad[][2] = {
		{ "80", NULL }, { "70000:80", NULL }, { "0:80", NULL }, { "80:80/sctp", NULL },
		{ "80:80x", NULL }, { "53:54/udp", NULL },
	};
	char *many[MAX_PUBLISH + 2];
	char ports[MAX_PUBLISH + 1][16];
	struct fvm_vm_opts o = { .net = FVM_NET_PRIVATE, .publish = ok };
	struct vm_config c;
	int r;

	r = apply(&o, FVM_SET_NET | FVM_SET_PUBLISH, &c);
	tap_ok(r == 0 && c.npublish == 2 && !strcmp(c.publish[0], "8080:80/tcp") &&
	       !strcmp(c.publish[1], "53:53/udp"), "published ports are kept, normalized to PORT:PORT/proto");
	config_release(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.publish = bad[i];
		tap_ok(apply(&o, FVM_SET_NET | FVM_SET_PUBLISH, &c) == -EINVAL && c.npublish == 0,
		       "--publish '%s' is refused, nothing kept", bad[i][0]);
		config_release(&c);
	}
	for (int i = 0; i <= MAX_PUBLISH; i++) {
		snprintf(ports[i], sizeof(ports[i]), "%d:%d", 1000 + i, 1000 + i);
		many[i] = ports[i];
	}
	many[MAX_PUBLISH + 1] = NULL;
	o.publish = many;
	tap_ok(apply(&o, FVM_SET_NET | FVM_SET_PUBLISH, &c) == -E2BIG, "more than %d published ports are refused",
	       MAX_PUBLISH);
	config_release(&c);
	o = (struct fvm_vm_opts){ .net = FVM_NET_NONE, .publish = ok };
	tap_ok(apply(&o, FVM_SET_NET | FVM_SET_PUBLISH, &c) == -EINVAL, "--publish without --net private is refused");
	config_release(&c);
}

static void test_policies(void)
{
	static const char *const bad[] = { "relative", "/a/../b", "/a/./b", "/a//b", "/a/", "/a/..", "/proc/x",
					   "/sys", "/dev/null" };
	struct fvm_policy p[MAX_POLICIES + 1];
	char paths[MAX_POLICIES + 1][32];
	struct fvm_vm_opts o = { 0 };
	struct vm_config c;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p[0] = (struct fvm_policy){ .path = bad[i], .kind = FVM_POLICY_HIDE };
		o.policies = p;
		o.npolicies = 1;
		tap_ok(apply(&o, FVM_SET_POLICIES, &c) == -EINVAL && c.npolicies == 0, "--hide %s is refused", bad[i]);
		config_release(&c);
	}
	p[0] = (struct fvm_policy){ .path = "/", .kind = FVM_POLICY_HIDE };
	tap_ok(apply(&o, FVM_SET_POLICIES, &c) == -EINVAL, "--hide / is refused (only --ro / is possible)");
	config_release(&c);
	p[0] = (struct fvm_policy){ .path = "/tmp", .kind = FVM_POLICY_HIDE };
	p[1] = (struct fvm_policy){ .path = "/tmp", .kind = FVM_POLICY_RO };
	o.npolicies = 2;
	tap_ok(apply(&o, FVM_SET_POLICIES, &c) == 0 && c.npolicies == 1 && c.policies[0].kind == FVM_POLICY_RO,
	       "two policies on one path merge: the later wins");
	config_release(&c);
	for (int i = 0; i <= MAX_POLICIES; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/nonexistent-fvm-test/%d", i);
		p[i] = (struct fvm_policy){ .path = paths[i], .kind = FVM_POLICY_COW };
	}
	o.npolicies = MAX_POLICIES + 1;
	tap_ok(apply(&o, FVM_SET_POLICIES, &c) == -E2BIG, "more than %d path policies are refused", MAX_POLICIES);
	config_release(&c);
}

static bool sorted_parents_first(const struct policy *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (strlen(v[i - 1].path) > strlen(v[i].path))
			return false;
	return true;
}

static const struct policy *find(const struct policy *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, path))
			return &v[i];
	return NULL;
}

static void test_effective(void)
{
	struct policy own[] = {
		{ .path = "/var/tmp/a/b", .kind = FVM_POLICY_HIDE },
		{ .path = "/var/tmp", .kind = FVM_POLICY_RO },
		{ .path = "/run", .kind = FVM_POLICY_COW },
	};
	struct vm_config c = fresh(false);
	struct policy *v = NULL;
	size_t n = 0;
	int r;

	r = policies_effective(&c, "/home/nobody-fvm", &v, &n);
	tap_ok(r == 0 && find(v, n, "/run") && find(v, n, "/run")->kind == FVM_POLICY_PRIVATE,
	       "by default /run is the VM's private directory");
	policies_free(v, n);
	c.policies = own;
	c.npolicies = 3;
	r = policies_effective(&c, "/home/nobody-fvm", &v, &n);
	tap_ok(r == 0 && !find(v, n, "/run"), "--cow /run takes the default policy off /run");
	tap_ok(r == 0 && sorted_parents_first(v, n) && find(v, n, "/var/tmp") && find(v, n, "/var/tmp/a/b"),
	       "the VM's policies are there, parents before children");
	policies_free(v, n);
	c.npolicies = 0;
	c.untrusted = true;
	r = policies_effective(&c, "/home/nobody-fvm", &v, &n);
	tap_ok(r == 0 && find(v, n, "/etc/shadow") && find(v, n, "/etc/shadow")->kind == FVM_POLICY_HIDE,
	       "the untrusted profile hides /etc/shadow");
	tap_ok(r == 0 && find(v, n, "/home/nobody-fvm/.ssh") && find(v, n, "/home/nobody-fvm/.ssh")->kind == FVM_POLICY_HIDE,
	       "the untrusted profile hides the owner's ~/.ssh");
	tap_ok(r == 0 && sorted_parents_first(v, n), "the profile's list is parents first too");
	policies_free(v, n);
}

int main(void)
{
	tap_plan(4 + 4 + 6 + 9 + 12 + 6);
	test_pids();
	test_ids();
	test_limits();
	test_publish();
	test_policies();
	test_effective();
	return tap_done();
}
