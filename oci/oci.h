/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * oci.h - fvm-oci, fvm's OCI runtime (the command line runc and crun
 * implement): the parsed config.json, the container's state on disk, and
 * the interfaces between the files of oci/.
 *
 * Every field of config.json is either honoured or refused with an error
 * naming it (spec.c): a runtime that silently drops a seccomp profile or
 * a memory limit is worse than one that says no.
 */
#ifndef FVM_OCI_H
#define FVM_OCI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#define OCI_VERSION "1.0.2"
#define OCI_ERR_MAX 1024
#define OCI_MAX_IDMAPS 64
#define OCI_MAX_RLIMITS 16
#define OCI_NCAPSETS 5
#define OCI_FVM_ARGS 8192

/* a failure: what, on which path, and what to do */
struct oci_err {
	char msg[OCI_ERR_MAX];
};

int oci_fail(struct oci_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct oci_mount {
	char *dest, *type, *source, *data;
	unsigned long flags;       /* MS_* */
	unsigned long clear;       /* flags asked off ("rw", "suid"...) */
	unsigned long prop;        /* MS_PRIVATE/MS_SLAVE/... (| MS_REC) */
	bool bind;
};

struct oci_idmap {
	unsigned long ct, host, size;
};

struct oci_rlimit {
	int res;
	rlim_t soft, hard;
};

enum { CAP_B, CAP_E, CAP_I, CAP_P, CAP_A };

struct oci_process {
	bool terminal;
	unsigned short rows, cols;   /* consoleSize; 0: not given */
	uid_t uid;
	gid_t gid;
	gid_t *gids;
	size_t ngids;
	bool has_umask;
	mode_t umask;
	char **args;   /* NULL-terminated */
	char **env;    /* NULL-terminated */
	char *cwd;
	bool has_caps;
	uint64_t caps[OCI_NCAPSETS];
	struct oci_rlimit rl[OCI_MAX_RLIMITS];
	size_t nrl;
	bool nnp;
	bool has_oom;
	int oom;
};

struct oci_device {
	char *path;
	char type;
	unsigned major, minor;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

struct oci_resources {
	bool any;              /* some limit asked for (a cgroup is then a must) */
	int64_t mem_limit, mem_swap, mem_reservation;   /* -1: not set */
	uint64_t cpu_shares;
	int64_t cpu_quota;
	uint64_t cpu_period;
	int64_t pids_limit;    /* 0: not set */
	uint16_t blkio_weight;
	json_object *devices;  /* linux.resources.devices, borrowed */
};

/* namespaces: new (path NULL) or joined (path) */
enum { NS_PID, NS_NET, NS_MNT, NS_IPC, NS_UTS, NS_USER, NS_CGROUP, NS_N };

struct oci_ns {
	bool want;
	char *path;
};

struct oci_spec {
	json_object *json;           /* the whole config.json */
	char *bundle;                /* absolute */
	char *rootfs;                /* absolute */
	bool root_ro;
	char *hostname, *domainname;
	struct oci_process proc;
	struct oci_mount *mounts;
	size_t nmounts;
	struct oci_ns ns[NS_N];
	struct oci_idmap uidmap[OCI_MAX_IDMAPS], gidmap[OCI_MAX_IDMAPS];
	size_t nuidmap, ngidmap;
	struct oci_resources res;
	char *cgpath;
	json_object *seccomp;        /* borrowed */
	char **masked, **ropaths;    /* NULL-terminated */
	json_object *sysctl;         /* borrowed */
	json_object *hooks;          /* borrowed */
	json_object *annotations;    /* borrowed */
	struct oci_device *devices;
	size_t ndevices;
	unsigned long rootprop;      /* rootfsPropagation, MS_REC|MS_SLAVE by default */
	char cgroup[4096];           /* the container's cgroup path, "" for none (create) */
	char *fvm_argv[OCI_FVM_ARGS];  /* annotation org.fvm.vm: `fvm run ...` (fvmvm.c) */
	int fvm_argc;
	char fvm_store[4096];
};

/* spec-json.c: config.json's values, checked, typed and bounded */
int spec_check_keys(json_object *o, const char *where, const char *const *known, struct oci_err *e);
json_object *spec_get(json_object *o, const char *key);
int spec_get_str(json_object *o, const char *key, const char *where, char **ret, struct oci_err *e);
int spec_get_int(json_object *o, const char *key, const char *where, int64_t min, int64_t max,
		 int64_t *ret, struct oci_err *e);
bool spec_get_bool(json_object *o, const char *key);
int spec_get_strv(json_object *o, const char *key, const char *where, char ***ret, struct oci_err *e);
void spec_strv_free(char **s);

/* spec.c, spec-process.c */
int spec_load(const char *bundle, struct oci_spec *s, struct oci_err *e);
int process_parse(json_object *p, struct oci_process *ret, const char *where,
		  struct oci_err *e);
void spec_free(struct oci_spec *s);
void process_free(struct oci_process *p);
extern const int ns_clone_flag[NS_N];
extern const char *const ns_proc_name[NS_N];

/* caps.c */
int cap_from_name(const char *name);
const char *cap_name(int c);
int caps_apply(const struct oci_process *p, struct oci_err *e);
int caps_drop_bounding(const struct oci_process *p, struct oci_err *e);

/* seccomp.c */
int seccomp_check(json_object *sc, struct oci_err *e);
int seccomp_apply(json_object *sc, bool nnp, struct oci_err *e);

/* state.c */
enum oci_status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };

struct oci_state {
	char id[256];
	pid_t pid;
	unsigned long long starttime;
	char bundle[4096];
	char rootfs[4096];
	char created[64];
	char cgpath[4096];       /* "" when the container has no cgroup */
	bool has_cgroup;
	bool userns;             /* the container has its own user namespace */
};

int state_root(const char *root, struct oci_err *e);
int state_dir_open(const char *id, bool create, struct oci_err *e);
int state_write(int dfd, const struct oci_state *st, struct oci_err *e);
int state_read(const char *id, struct oci_state *st, int *ret_dfd, struct oci_err *e);
enum oci_status state_status(int dfd, const struct oci_state *st);
const char *status_name(enum oci_status s);
char *state_json(const struct oci_state *st, enum oci_status s, json_object *annotations);
int state_remove(const char *id);
unsigned long long proc_starttime(pid_t pid, char *ret_state);
int id_check(const char *id, struct oci_err *e);
extern const char *oci_root;

/* cgroup-oci.c */
int ocg_create(const struct oci_spec *s, const char *id, char *ret_path, size_t n,
	       bool *ret_made, struct oci_err *e);
int ocg_enter(const char *cgpath, pid_t pid, struct oci_err *e);
int ocg_destroy(const char *cgpath);
int ocg_freeze(const char *cgpath, bool freeze, struct oci_err *e);
bool ocg_frozen(const char *cgpath);
int ocg_pids(const char *cgpath, pid_t **ret, size_t *ret_n);
int ocg_v1_mount(const char *cgpath, int destfd, bool ro, struct oci_err *e);
bool ocg_unified(void);
bool in_initial_userns(void);

/* rootfs.c */
int rootfs_setup(struct oci_spec *s, struct oci_err *e);
int rootfs_pivot(struct oci_spec *s, struct oci_err *e);
int rootfs_finish(struct oci_spec *s, struct oci_err *e);
int path_in_root(int rootfd, const char *path, bool dir, bool create, struct oci_err *e);
int mount_bind_flags(const char *src, int dirfd, const char *name, unsigned long flags,
		     struct oci_err *e);

/* process.c */
void env_home(struct oci_process *p);
int process_lookup(const struct oci_process *p, char *ret, struct oci_err *e);
int process_exec(const struct oci_process *p, json_object *seccomp, const char *prog,
		 struct oci_err *e);
int pty_make(int sockfd, const struct oci_process *p, struct oci_err *e);
int console_connect(const char *path, struct oci_err *e);

/* fvmvm.c */
int fvmvm_prepare(struct oci_spec *s, struct oci_err *e);
int fvmvm_exec(struct oci_spec *s, struct oci_err *e);
int fvmvm_proc(struct oci_spec *s, struct oci_err *e);

/* hooks.c */
int hooks_run(json_object *hooks, const char *kind, const char *state_json,
	      struct oci_err *e);

/* sync messages between the runtime and its children (create.c, exec.c) */
int sync_send(int fd, char tag, const void *data, size_t len);
int sync_recv(int fd, char *ret_tag, void *buf, size_t len);

/* commands */
int cmd_create(int argc, char **argv, bool run);
int cmd_start(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_pause(int argc, char **argv, bool freeze);
int cmd_ps(int argc, char **argv);
int cmd_features(int argc, char **argv);

/* main.c */
void oci_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int oci_error(const struct oci_err *e);
extern bool oci_systemd_cgroup;

#endif
