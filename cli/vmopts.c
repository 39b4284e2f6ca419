// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * vmopts.c - parsing the VM settings options (see vmopts.h) into a
 * struct fvm_vm_opts and the mask of what was given; the library checks
 * the values (paths, ports, ranges) when they are applied.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmopts.h"

enum {
	O_NET = VMOPT_BASE, O_HOSTNAME, O_PUBLISH, O_HIDE, O_RO, O_SHARE, O_PRIVATE, O_COW,
	O_PROFILE, O_MEMORY, O_CPUS, O_PIDS, O_IOW, O_CAPS, O_SECCOMP, O_HOST_LOOPBACK, O_GUI, O_DEVICE, O_DEVICE_ANY, O_NNP, O_SOUND, O_DBUS_TALK, O_CLIPBOARD, O_IDS,
};

const struct option vmopt_long[] = {
	{ "net", required_argument, NULL, O_NET },
	{ "hostname", required_argument, NULL, O_HOSTNAME },
	{ "publish", required_argument, NULL, O_PUBLISH },
	{ "hide", required_argument, NULL, O_HIDE },
	{ "ro", required_argument, NULL, O_RO },
	{ "share", required_argument, NULL, O_SHARE },
	{ "private", required_argument, NULL, O_PRIVATE },
	{ "cow", required_argument, NULL, O_COW },
	{ "profile", required_argument, NULL, O_PROFILE },
	{ "memory", required_argument, NULL, O_MEMORY },
	{ "cpus", required_argument, NULL, O_CPUS },
	{ "pids", required_argument, NULL, O_PIDS },
	{ "io-weight", required_argument, NULL, O_IOW },
	{ "caps", required_argument, NULL, O_CAPS },
	{ "seccomp", required_argument, NULL, O_SECCOMP },
	{ "host-loopback", required_argument, NULL, O_HOST_LOOPBACK },
	{ "gui", required_argument, NULL, O_GUI },
	{ "device", required_argument, NULL, O_DEVICE },
	{ "device-any", required_argument, NULL, O_DEVICE_ANY },
	{ "no-new-privs", required_argument, NULL, O_NNP },
	{ "sound", required_argument, NULL, O_SOUND },
	{ "dbus-talk", required_argument, NULL, O_DBUS_TALK },
	{ "clipboard", required_argument, NULL, O_CLIPBOARD },
	{ "ids", required_argument, NULL, O_IDS },
	{ 0 },
};

void vmopts_init(struct vmopts *v)
{
	memset(v, 0, sizeof(*v));
	v->o.net = FVM_NET_NONE;
}

void vmopts_free(struct vmopts *v)
{
	free(v->policies);
	for (size_t i = 0; i < v->npublish; i++)
		free(v->publish[i]);
	free(v->publish);
	free(v->devices);
	for (size_t i = 0; i < v->ndbus_talk; i++)
		free(v->dbus_talk[i]);
	free(v->dbus_talk);
}

/* own options followed by the settings options, for getopt_long */
struct option *vmopts_merge(const struct option *own)
{
	size_t n = 0, m = VMOPT_COUNT;
	struct option *all;

	while (own[n].name)
		n++;
	all = calloc(n + m, sizeof(*all));
	if (!all)
		return NULL;
	memcpy(all, own, n * sizeof(*all));
	memcpy(all + n, vmopt_long, m * sizeof(*all));
	return all;
}

static int parse_size(const char *s, uint64_t *ret)
{
	char *end;
	double v = strtod(s, &end);
	uint64_t mul = 1;

	if (end == s || v < 0)
		return -1;
	switch (*end) {
	case 'k': case 'K': mul = 1ull << 10; end++; break;
	case 'm': case 'M': mul = 1ull << 20; end++; break;
	case 'g': case 'G': mul = 1ull << 30; end++; break;
	case 't': case 'T': mul = 1ull << 40; end++; break;
	default: break;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end || v * (double)mul > 9e15)
		return -1;
	*ret = (uint64_t)(v * (double)mul);
	return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end || *s == '-' || v > max)
		return -1;
	*ret = (unsigned)v;
	return 0;
}

static int add_policy(struct vmopts *v, const char *path, enum fvm_policy_kind k)
{
	struct fvm_policy *nv = realloc(v->policies, (v->o.npolicies + 1) * sizeof(*nv));

	if (!nv)
		return cli_errorf("out of memory");
	v->policies = nv;
	nv[v->o.npolicies].path = path;
	nv[v->o.npolicies++].kind = k;
	v->o.policies = v->policies;
	v->what |= FVM_SET_POLICIES;
	return 0;
}

/**
 * vmopts_parse() - one settings option (getopt code @c, argument @arg)
 * Return: 0, 1 if @c is not a settings option, or EXIT_FVM (said why).
 */
/* --publish: one more port, or "none" */
/* @arg onto the NULL-terminated list @*v of @*n ("none" adds nothing: an empty list) */
static int list_add(char ***v, size_t *n, const char *arg)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(char *));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (strcmp(arg, "none") && !(nv[*n] = strdup(arg)))
		return -ENOMEM;
	if (strcmp(arg, "none"))
		(*n)++;
	nv[*n] = NULL;
	return 0;
}

static int add_publish(struct vmopts *v, const char *arg)
{
	if (list_add(&v->publish, &v->npublish, arg) < 0)   /* "none": no published port */
		return cli_errorf("out of memory");
	v->o.publish = v->publish;
	v->what |= FVM_SET_PUBLISH;
	return 0;
}

static int add_dbus_talk(struct vmopts *v, const char *arg)
{
	if (list_add(&v->dbus_talk, &v->ndbus_talk, arg) < 0)   /* "none": no session bus */
		return cli_errorf("out of memory");
	v->o.dbus_talk = v->dbus_talk;
	v->what |= FVM_SET_DBUS;
	return 0;
}

/* --sound and --clipboard: two words each */
static int set_desktop(struct vmopts *v, int c, const char *arg)
{
	if (c == O_CLIPBOARD) {
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return cli_errorf("bad --clipboard '%s': use 'on' (--gui x11: what you copy on your display, the VM's programs can paste, and the other way) or 'off' (the default)", arg);
		v->o.clipboard = !strcmp(arg, "on");
		v->what |= FVM_SET_CLIPBOARD;
		return 0;
	}
	if (strcmp(arg, "pulse") && strcmp(arg, "none"))
		return cli_errorf("bad --sound '%s': use 'pulse' (your PulseAudio or PipeWire-pulse server's socket, and its cookie) or 'none' (the default)", arg);
	v->o.sound = !strcmp(arg, "pulse");
	v->what |= FVM_SET_SOUND;
	return 0;
}

/* --device, --device-any: one more node, or "none" (the list cleared) */
static int add_device(struct vmopts *v, int c, const char *arg)
{
	struct fvm_device *nv;

	v->what |= FVM_SET_DEVICES;
	if (!strcmp(arg, "none")) {   /* no device: the list is cleared */
		v->o.ndevices = 0;
		return 0;
	}
	nv = realloc(v->devices, (v->o.ndevices + 1) * sizeof(*nv));
	if (!nv)
		return cli_errorf("out of memory");
	v->devices = nv;
	nv[v->o.ndevices].path = arg;
	nv[v->o.ndevices++].any = c == O_DEVICE_ANY;
	v->o.devices = v->devices;
	return 0;
}

static int set_gui(struct vmopts *v, const char *arg)
{
	if (!strcmp(arg, "none"))
		v->o.gui = FVM_GUI_NONE;
	else if (!strcmp(arg, "x11"))
		v->o.gui = FVM_GUI_X11;
	else if (!strcmp(arg, "x11-host"))
		v->o.gui = FVM_GUI_X11_HOST;
	else if (!strcmp(arg, "wayland"))
		v->o.gui = FVM_GUI_WAYLAND;
	else
		return cli_errorf("bad --gui '%s': use 'x11' (a nested X server of the VM's own, in a window), 'x11-host' (your X display itself: unsafe, the VM sees every window and keystroke), 'wayland' (your Wayland compositor's socket) or 'none'",
				  arg);
	v->what |= FVM_SET_GUI;
	return 0;
}

/* --profile; browser also sets --gui and --net, unless they were given */
static int set_profile(struct vmopts *v, const char *arg)
{
	if (strcmp(arg, "default") && strcmp(arg, "untrusted") && strcmp(arg, "browser"))
		return cli_errorf("bad --profile '%s': use 'default', 'untrusted' or 'browser'", arg);
	v->o.untrusted = strcmp(arg, "default") != 0;
	v->what |= FVM_SET_PROFILE;
	/* browser: untrusted, in a nested X server, its own network (an
	 * explicit --gui or --net, before or after, wins) */
	if (!strcmp(arg, "browser") && !(v->what & FVM_SET_GUI)) {
		v->o.gui = FVM_GUI_X11;
		v->what |= FVM_SET_GUI;
	}
	if (!strcmp(arg, "browser") && !(v->what & FVM_SET_NET)) {
		v->o.net = FVM_NET_PRIVATE;
		v->what |= FVM_SET_NET;
	}
	return 0;
}

/* --memory, --cpus, --pids, --io-weight */
static int set_limit(struct vmopts *v, int c, const char *arg)
{
	double cpus;
	char *end;

	switch (c) {
	case O_MEMORY:
		if (parse_size(arg, &v->o.limits.memory) < 0)
			return cli_errorf("bad --memory '%s': a size such as 512M or 2G (0: no limit)", arg);
		v->what |= FVM_SET_MEMORY;
		return 0;
	case O_CPUS:
		cpus = strtod(arg, &end);
		if (end == arg || *end || cpus < 0 || cpus > 1024)
			return cli_errorf("bad --cpus '%s': a number of CPUs such as 1.5 (0: no limit)", arg);
		v->o.limits.cpus_milli = (unsigned)(cpus * 1000 + 0.5);
		v->what |= FVM_SET_CPUS;
		return 0;
	case O_PIDS:
		if (!strcmp(arg, "max"))
			v->o.limits.pids = FVM_PIDS_UNLIMITED;
		else if (parse_uint(arg, 4194304, &v->o.limits.pids) < 0)
			return cli_errorf("bad --pids '%s': a number of processes, or 'max' (or 0) for no limit",
					  arg);
		else if (v->o.limits.pids == 0)
			v->o.limits.pids = FVM_PIDS_UNLIMITED;
		v->what |= FVM_SET_PIDS;
		return 0;
	case O_IOW:
		if (parse_uint(arg, 10000, &v->o.limits.io_weight) < 0)
			return cli_errorf("bad --io-weight '%s': 1 to 10000 (0: the default)", arg);
		v->what |= FVM_SET_IO_WEIGHT;
		return 0;
	default:
		return 1;
	}
}

int vmopts_parse(struct vmopts *v, int c, const char *arg)
{
	switch (c) {
	case O_NET:
		if (parse_net(arg, &v->o.net))
			return EXIT_FVM;
		v->what |= FVM_SET_NET;
		return 0;
	case O_HOSTNAME:
		v->o.hostname = arg;
		v->what |= FVM_SET_HOSTNAME;
		return 0;
	case O_PUBLISH: return add_publish(v, arg);
	case O_DBUS_TALK: return add_dbus_talk(v, arg);
	case O_SOUND:
	case O_CLIPBOARD: return set_desktop(v, c, arg);
	case O_HIDE: return add_policy(v, arg, FVM_POLICY_HIDE);
	case O_RO: return add_policy(v, arg, FVM_POLICY_RO);
	case O_SHARE: return add_policy(v, arg, FVM_POLICY_SHARE);
	case O_PRIVATE: return add_policy(v, arg, FVM_POLICY_PRIVATE);
	case O_COW:   /* a backend, or PATH back to copy-on-write */
		if (!strcmp(arg, "auto") || !strcmp(arg, "kernel") || !strcmp(arg, "fuse")) {
			v->o.cow = !strcmp(arg, "fuse") ? FVM_COW_FUSE :
				   !strcmp(arg, "kernel") ? FVM_COW_KERNEL : FVM_COW_AUTO;
			v->what |= FVM_SET_COW;
			return 0;
		}
		return add_policy(v, arg, FVM_POLICY_COW);
	case O_IDS:
		if (strcmp(arg, "single") && strcmp(arg, "sub") && strcmp(arg, "auto"))
			return cli_errorf("bad --ids '%s': use 'single' (your uid is the VM's root, nothing else; the default), 'sub' (your subordinate ids from /etc/subuid too, 65536 in all) or 'auto' (sub where you have them)", arg);
		v->o.ids = !strcmp(arg, "sub") ? FVM_IDS_SUB : !strcmp(arg, "auto") ? FVM_IDS_AUTO : FVM_IDS_SINGLE;
		v->what |= FVM_SET_IDS;
		return 0;
	case O_HOST_LOOPBACK:
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return cli_errorf("bad --host-loopback '%s': use 'on' (the host's 127.0.0.1 services at the VM's gateway, --net private) or 'off'", arg);
		v->o.host_loopback = !strcmp(arg, "on");
		v->what |= FVM_SET_HOST_LOOPBACK;
		return 0;
	case O_DEVICE:
	case O_DEVICE_ANY: return add_device(v, c, arg);
	case O_GUI: return set_gui(v, arg);
	case O_NNP:
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return cli_errorf("bad --no-new-privs '%s': use 'on' (the default: set-uid programs such as sudo gain nothing) or 'off' (they work in the VM)", arg);
		v->o.new_privs = !strcmp(arg, "off");
		v->what |= FVM_SET_NEW_PRIVS;
		return 0;
	case O_PROFILE: return set_profile(v, arg);
	case O_MEMORY:
	case O_CPUS:
	case O_PIDS:
	case O_IOW: return set_limit(v, c, arg);
	case O_CAPS:
	case O_SECCOMP:
		if (parse_hardening(c == O_CAPS ? 'C' : 'S', arg, &v->o))
			return EXIT_FVM;
		v->what |= c == O_CAPS ? FVM_SET_CAPS : FVM_SET_SECCOMP;
		return 0;
	default:
		return 1;
	}
}

/**
 * vmopts_getopt() - the option loop of a command whose only options are
 * -h and the settings (create, config)
 * Return: 0 when parsed, -1 when --help was printed, or EXIT_FVM (said why).
 */
int vmopts_getopt(int argc, char **argv, const char *cmd, const char *usage, struct vmopts *v)
{
	static const struct option own[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
	struct option *lopts = vmopts_merge(own);
	int c, r = 0;

	if (!lopts)
		return cli_errorf("out of memory");
	while (r == 0 && (c = getopt_long(argc, argv, ":hp:", lopts, NULL)) != -1) {
		if (c == 'h') {
			cli_help(usage);
			r = -1;
			break;
		}
		r = vmopts_parse(v, c == 'p' ? VMOPT_BASE + 2 : c, optarg);
		if (r == 1)
			r = cli_bad_option(cmd, c, argv);
	}
	free(lopts);
	return r;
}
