/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * passwd.h - a VM's users and groups, parsed from its own /etc/passwd and
 * /etc/group (never through NSS: see passwd.c).
 */
#ifndef FVM_PASSWD_H
#define FVM_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

/* Largest /etc/passwd or /etc/group fvm reads from a VM. */
#define PASSWD_FILE_MAX (8u * 1024 * 1024)
/* Most supplementary groups a process can have (the kernel's NGROUPS_MAX). */
#define PASSWD_GROUPS_MAX 65536u

/**
 * struct vm_user - whom a program of a VM runs as
 * @uid, @gid:   its ids in the VM
 * @name:        its name in /etc/passwd; NULL for a numeric uid without entry
 * @home, @shell: from /etc/passwd ("/" and "/bin/sh" without entry)
 * @groups:      supplementary groups: @gid first, then every /etc/group
 *               entry listing @name, each gid once
 * @ngroups:     entries in @groups (at least 1)
 */
struct vm_user {
	uid_t uid;
	gid_t gid;
	char *name;
	char *home;
	char *shell;
	gid_t *groups;
	size_t ngroups;
};

int passwd_read_file(int rootfd, const char *path, char **ret, size_t *ret_len);
int passwd_resolve(const char *passwd, size_t passwd_len, const char *group, size_t group_len,
		   const char *spec, struct vm_user *ret);
void vm_user_release(struct vm_user *u);
int passwd_homes(const char *buf, size_t len, int (*fn)(uid_t uid, const char *home, void *ctx),
		 void *ctx);

#endif
