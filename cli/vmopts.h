/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vmopts.h - the VM settings options shared by create, run, try and config
 * (--net, --hostname, --publish, --hide/--ro/--share/--private/--cow,
 * --memory, --cpus, --pids, --io-weight, --caps, --seccomp, --no-new-privs,
 * --profile, --gui, --device, --ids).
 */
#ifndef FVM_CLI_VMOPTS_H
#define FVM_CLI_VMOPTS_H

#include <getopt.h>

#include "common.h"

struct vmopts {
	struct fvm_vm_opts o;
	unsigned what;                /* FVM_SET_* given on the command line */
	struct fvm_policy *policies;
	char **publish;
	size_t npublish;
	struct fvm_device *devices;
	char **dbus_talk;
	size_t ndbus_talk;
};

/* getopt_long entries for the settings; codes are >= VMOPT_BASE */
#define VMOPT_BASE 1000
extern const struct option vmopt_long[];
#define VMOPT_COUNT 25

void vmopts_init(struct vmopts *v);
int vmopts_parse(struct vmopts *v, int c, const char *arg);
void vmopts_free(struct vmopts *v);
struct option *vmopts_merge(const struct option *own);
int vmopts_getopt(int argc, char **argv, const char *cmd, const char *usage, struct vmopts *v);

#define VMOPTS_HELP \
	"      --net none|host|private  none: loopback only (default); host: the host's\n" \
	"                         network; private: own stack, outbound through pasta\n" \
	"  -p, --publish HOSTPORT:VMPORT[/udp]  forward a host port in (--net private;\n" \
	"                         'none' clears the list)\n" \
	"      --host-loopback on|off  on: --net private reaches the host's\n" \
	"                         127.0.0.1 services at its gateway (default off)\n" \
	"      --hostname NAME    hostname inside the VM (default: the VM's name)\n" \
	"      --hide PATH        PATH does not exist in the VM\n" \
	"      --ro PATH          PATH is read-only in the VM\n" \
	"      --share PATH       PATH is the host's own: writes reach the host (as\n" \
	"                         root, as PATH's owner; not for a path of root's)\n" \
	"      --private PATH     an empty directory only the VM has, kept with it\n" \
	"      --cow PATH         PATH back to copy-on-write (the default; also undoes\n" \
	"                         a default policy, such as /run being private)\n" \
	"      --cow auto|kernel|fuse  rootless copy-on-write backend: auto (default)\n" \
	"                         the whole host, fuse-overlayfs where the kernel's\n" \
	"                         overlayfs refuses; kernel: the host's system tree\n" \
	"                         read-only; fuse: fuse-overlayfs for every tree\n" \
	"      --ids single|sub|auto  rootless, fixed at create: single (default), your\n" \
	"                         uid is the VM's root and nothing else is mapped;\n" \
	"                         sub, also your 65536 subordinate ids of /etc/subuid\n" \
	"                         and /etc/subgid (newuidmap), so apt's _apt, setpriv\n" \
	"                         and chown work; auto, sub where you have them\n" \
	"      --gui x11|x11-host|wayland|none  show windows on your display: x11, a\n" \
	"                         nested X server of the VM's own in one window on\n" \
	"                         DISPLAY (it cannot see your other windows, keys or\n" \
	"                         clipboard); x11-host, DISPLAY itself (unsafe: every\n" \
	"                         window and keystroke); wayland, the socket of your\n" \
	"                         compositor (WAYLAND_DISPLAY) only; none (default)\n" \
	"      --clipboard on|off  --gui x11: your display's clipboard (and primary\n" \
	"                         selection) and the nested server's kept in step,\n" \
	"                         text only; off (default): the VM cannot read yours\n" \
	"      --sound pulse|none  your sound server (PulseAudio or PipeWire-pulse): its\n" \
	"                         socket and cookie only; the VM can then play and\n" \
	"                         record as any client of it can; none (default)\n" \
	"      --dbus-talk NAME   the VM may call the service NAME (org.freedesktop.\n" \
	"                         Notifications...) on your session bus, through a\n" \
	"                         filtering proxy; nothing else of the bus ('none'\n" \
	"                         clears the list; default: no session bus)\n" \
	"      --device PATH      the host's GPU render node PATH (/dev/dri/renderD*)\n" \
	"                         in the VM's /dev ('none' clears the list)\n" \
	"      --device-any PATH  any character device PATH (a card node, /dev/snd/*...):\n" \
	"                         the VM can do what its driver allows\n" \
	"      --profile default|untrusted|browser  untrusted hides your keys, keyrings\n" \
	"                         and browser profiles (~/.ssh, ~/.gnupg, ~/.mozilla...);\n" \
	"                         browser: untrusted, --gui x11 and --net private\n" \
	"      --memory SIZE      memory limit (e.g. 512M, 2G)\n" \
	"      --cpus N           CPU limit (e.g. 1.5)\n" \
	"      --pids N|max       limit on processes and threads (default 2048 as\n" \
	"                         root; rootless fvm has no cgroup to enforce it)\n" \
	"      --io-weight N      relative block I/O weight, 1-10000\n" \
	"      --caps default|all capabilities of root in the VM: a reduced set\n" \
	"                         (default), or all of them (still only in the VM)\n" \
	"      --seccomp default|allow-userns|off  deny kernel modules, kexec, bpf,\n" \
	"                         keyrings, the clock, mounts, io_uring, new user\n" \
	"                         namespaces, TIOCSTI... (default); the same with user\n" \
	"                         namespaces allowed; or no filter\n" \
	"      --no-new-privs on|off  on (default): set-uid programs gain nothing;\n" \
	"                         off: sudo, su, ping work in the VM (up to the VM's\n" \
	"                         root, never beyond it); not with --profile untrusted\n"

#endif
