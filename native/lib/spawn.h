/* libhxns container spawn: shared by the parent side (spawn.c), the child (child.c)
 * and the Node-API glue (napi.c). The plan wire format is written by src/runtime/plan.ts;
 * keep the tags and bits in step with it. */
#ifndef HX_SPAWN_H
#define HX_SPAWN_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define HX_PLAN_MAGIC 0x31505848u /* "HXP1" little-endian */

/* Plan records: u16 tag, u16 zero, u32 length, payload. */
enum hx_plan_tag {
    HX_TAG_ROOTFS = 1,   /* string: host path of the root filesystem */
    HX_TAG_OPTIONS = 2,  /* u32 clone namespace flags, u32 HX_OPT_* bits */
    HX_TAG_HOSTNAME = 3, /* string */
    HX_TAG_MOUNT = 4,    /* u32 kind, u32 MS_* flags, u32 HX_MNT_* bits, u32 zero, 4 strings: source target fstype data */
    HX_TAG_CWD = 5,      /* string */
    HX_TAG_USER = 6,     /* u32 uid, u32 gid, u32 ngroups, u32 gids[ngroups] */
    HX_TAG_CAPS = 7,     /* u64 bounding, effective, permitted, inheritable, ambient; u32 last_cap */
    HX_TAG_RLIMIT = 8,   /* u32 resource, u32 zero, u64 soft, u64 hard */
    HX_TAG_SECCOMP = 9,  /* struct sock_filter[] */
    HX_TAG_ARG = 10,     /* string, repeated: argv of the command */
    HX_TAG_ENV = 11,     /* string, repeated: KEY=VALUE */
    HX_TAG_STDIO = 12,   /* i32 fds[3]: a parent fd, HX_FD_NULL or HX_FD_TTY */
    HX_TAG_INIT = 13,    /* string: path inside the container of the init to exec as pid 1 */
    HX_TAG_TTYGID = 14,  /* u32 group of the terminal's slave (5 when mapped) */
    HX_TAG_JOIN = 15,    /* u32 pid, u32 zero, u64 start time: run in that container's namespaces (exec) */
    HX_TAG_NETJOIN = 17, /* u32 pid, u32 zero, u64 start time: join only that container's network namespace (--network container:) */
    HX_TAG_CGROUP = 16,  /* u32 count, i32 fds[count]: cgroup v1 `tasks` files the child writes "0" to after
                          * the go-ahead (joining its cgroups itself skips the kernel's grace-period wait) */
};

#define HX_FD_NULL (-1)
#define HX_FD_TTY (-2)
#define HX_FD_PIPE (-3)        /* a new pipe: the container gets one end, hx_spawn returns the other */
#define HX_FD_PIPE_STDOUT (-4) /* stderr only: the same pipe as stdout (one destination keeps the order) */

enum hx_opt {
    HX_OPT_READONLY_ROOT = 1 << 0,
    HX_OPT_LOOPBACK_UP = 1 << 1,
    HX_OPT_TTY = 1 << 2,
    HX_OPT_NO_NEW_PRIVS = 1 << 3,
    HX_OPT_PDEATHSIG = 1 << 4,
    HX_OPT_SETGROUPS = 1 << 5, /* call setgroups (not allowed after setgroups "deny") */
};

enum hx_mount_kind {
    HX_MNT_MOUNT = 1,    /* mount(2) a filesystem, or a bind when flags have MS_BIND */
    HX_MNT_SYMLINK = 2,  /* source = link text, target = path of the link */
    HX_MNT_MASK = 3,     /* hide target: /dev/null over a file, empty read-only tmpfs over a dir */
    HX_MNT_READONLY = 4, /* bind target on itself, read-only */
    HX_MNT_MKDIR = 5,    /* create target directory (and parents) */
};

enum hx_mount_bits {
    HX_MNTF_FILE = 1 << 0,     /* target is a file (created empty), not a directory */
    HX_MNTF_OPTIONAL = 1 << 1, /* failure is ignored */
    HX_MNTF_SYSFS = 1 << 2,    /* on EPERM, fall back to a recursive read-only bind of the host's /sys */
    HX_MNTF_NOCREATE = 1 << 3, /* target must exist (skip when missing) */
    HX_MNTF_RRO = 1 << 4,          /* read-only bind: every mount below it read-only too (mount_setattr) */
    HX_MNTF_RRO_REQUIRED = 1 << 5, /* ... and fail where the kernel cannot (no fallback to the top only) */
};

/* The step a child failed in; src/runtime/exit.ts names them. */
enum hx_step {
    HX_STEP_SIGNALS = 1,
    HX_STEP_STDIO,
    HX_STEP_PROPAGATION,
    HX_STEP_ROOTFS,
    HX_STEP_MOUNT,
    HX_STEP_SYMLINK,
    HX_STEP_MASK,
    HX_STEP_READONLY,
    HX_STEP_PIVOT,
    HX_STEP_HOSTNAME,
    HX_STEP_LOOPBACK,
    HX_STEP_TTY,
    HX_STEP_CWD,
    HX_STEP_RLIMIT,
    HX_STEP_CAPS,
    HX_STEP_SETGROUPS,
    HX_STEP_SETGID,
    HX_STEP_SETUID,
    HX_STEP_NO_NEW_PRIVS,
    HX_STEP_SECCOMP,
    HX_STEP_LOOKUP,
    HX_STEP_EXEC,
    HX_STEP_START,
    HX_STEP_JOIN,
    HX_STEP_NETWORK, /* the monitor's network hook (`hx container __network`) failed */
};

/* What the child sends on its report socket (SOCK_SEQPACKET). */
enum hx_child_msg_type { HX_MSG_ERROR = 1, HX_MSG_TTY = 2 };
struct hx_child_msg {
    int32_t type;
    int32_t step;
    int32_t err;
    char detail[244];
};

/* What hx_spawn_collect hands to Node. */
enum hx_event_type {
    HX_EV_ERROR = 1, /* a = step, b = errno, detail */
    HX_EV_EXEC = 2,  /* the report channel closed without an error: execve happened (or the child died) */
    HX_EV_EXIT = 3,  /* a = si_code (CLD_EXITED, CLD_KILLED, CLD_DUMPED), b = status or signal */
    HX_EV_TTY = 4,   /* a = fd of the terminal's master, now owned by Node */
};
struct hx_event {
    uint32_t id;
    uint32_t type;
    int32_t pid;
    int32_t a;
    int32_t b;
    int32_t reserved;
    char detail[232];
};

struct hx_mount {
    uint32_t kind;
    uint32_t flags;
    uint32_t bits;
    const char *source;
    const char *target;
    const char *fstype;
    const char *data;
};

struct hx_rlimit {
    uint32_t resource;
    uint64_t soft, hard;
};

/* A parsed plan: pointers into a private copy of the buffer. Shared with the child
 * (CLONE_VM) until it execs, so it is freed only once the report channel closes. */
struct hx_plan {
    char *buf;
    const char *rootfs;
    uint32_t ns_flags;
    uint32_t options;
    const char *hostname;
    struct hx_mount *mounts;
    size_t nmounts;
    const char *cwd;
    int has_user;
    uint32_t uid, gid;
    uint32_t *gids;
    size_t ngroups;
    int has_caps;
    uint64_t cap_bounding, cap_effective, cap_permitted, cap_inheritable, cap_ambient;
    uint32_t cap_last;
    struct hx_rlimit *rlimits;
    size_t nrlimits;
    const void *seccomp;
    size_t seccomp_len;
    char **argv;
    size_t argc;
    char **envp;
    size_t envc;
    const char *path_env; /* value of PATH in envp, or NULL */
    int32_t stdio[3];
    const char *init;
    uint32_t tty_gid;
    /* exec: the container whose namespaces the child joins (0: none), and a pidfd of it */
    uint32_t join_pid;
    uint64_t join_start;
    int join_pidfd;
    /* --network container:CTR: the container whose network namespace the child enters (0: none) */
    uint32_t netjoin_pid;
    uint64_t netjoin_start;
    int netjoin_pidfd;
    /* cgroup v1 `tasks` files (fds the parent opened) the child joins before exec */
    int32_t cgroup_fds[16];
    uint32_t n_cgroup_fds;
    /* channel fds as the child sees them */
    int report_fd;
    int start_fd;
};

/* What the tether (child.c) watches: hx's end of a pipe and the container. */
struct hx_tether_args {
    int tether_fd; /* read end: EOF when hx's process is gone */
    int pidfd;     /* the container's pid 1 */
};

/* child.c */
int hx_child_main(void *plan);
int hx_tether_main(void *args);

/* spawn.c */
int hx_plan_parse(const uint8_t *data, size_t len, struct hx_plan *out);
void hx_plan_free(struct hx_plan *plan);
/* --network container:CTR: open and check the pidfd of the plan's netjoin target (-errno). */
int hx_open_netjoin(struct hx_plan *plan);
/* Start a container process; returns 0 and fills id/pid/start fd and, for HX_FD_PIPE
 * slots, hx's end of each pipe (else -1), or -errno. */
int hx_spawn(const uint8_t *plan, size_t len, int32_t *id, int32_t *pid, int32_t *start_fd, int32_t stdio_out[3]);
/* Events of child ID into OUT (room >= 3): what it reported, and its exit once it has
 * exited (then the child is forgotten). WAIT_MS > 0 waits that long for a first report.
 * Returns the number of events, or -errno (-ESRCH: unknown or already collected). */
int hx_spawn_collect(int32_t id, struct hx_event *out, size_t room, int wait_ms);
/* Send SIG to process PID if its start time is START (a reused pid is left alone). */
int hx_signal_verified(int32_t pid, uint64_t start, int sig);
/* Send SIG to the container process ID; 0 or -errno (ESRCH once reaped). */
int hx_spawn_signal(int32_t id, int sig);

#endif
