/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* harden.h - capabilities, no_new_privs and seccomp for VM programs. */
#ifndef FVM_HARDEN_H
#define FVM_HARDEN_H

#include <linux/filter.h>
#include <stdbool.h>

#include "fvm-internal.h"

/* the filters lib/seccomp-gen.c built with libseccomp (seccomp-bpf.c) */
extern const struct sock_filter fvm_bpf_default[];
extern const unsigned short fvm_bpf_default_len;
extern const struct sock_filter fvm_bpf_allow_userns[];
extern const unsigned short fvm_bpf_allow_userns_len;

bool harden_cap_kept(int cap);
int harden_drop_caps(void);
int harden_seccomp(bool allow_userns, bool nnp);
int harden_landlock_abstract(void);
int harden_caps(const struct vm_config *cfg);
int harden_finish(const struct vm_config *cfg);
int harden_init_caps(void);

#endif
