/* libhxns container spawn, parent side: parse the plan, clone the child, and watch it.
 *
 * The child is made with clone(CLONE_VM | namespaces) on a stack of its own: no page
 * tables are copied, so the cost does not grow with Node's heap (a fork-style clone took
 * 39 ms at 1.1 GB RSS). The child shares Node's memory until it execs; spawn_child.c
 * explains the rules that makes safe. Its stack and plan are freed once its report
 * socket closes: that happens only after execve has switched address spaces, or after
 * the child has exited.
 *
 * The child's exit raises SIGCHLD; Node listens for it (process.on) and calls
 * hx_spawn_collect, which reads the child's report socket and reaps it through its pidfd
 * (waitid P_PIDFD, WNOHANG): nothing blocks the event loop, no child that libuv spawned
 * is ever reaped here, and no thread or pipe (node:net) is needed. A reaper thread with a
 * pipe read as a net.Socket worked as well, but loading node:net cost ~2.5 ms of start-up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spawn.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_STACK_SIZE (256 * 1024)
#define TETHER_STACK_SIZE (64 * 1024)

/* ---- plan parsing ---- */

struct reader {
    const uint8_t *p, *end;
};

static int rd_u32(struct reader *r, uint32_t *out) {
    if (r->end - r->p < 4) return -1;
    memcpy(out, r->p, 4);
    r->p += 4;
    return 0;
}

static int rd_u64(struct reader *r, uint64_t *out) {
    if (r->end - r->p < 8) return -1;
    memcpy(out, r->p, 8);
    r->p += 8;
    return 0;
}

/* A NUL-terminated string inside the record. */
static int rd_str(struct reader *r, const char **out) {
    const uint8_t *nul = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (!nul) return -1;
    *out = (const char *)r->p;
    r->p = nul + 1;
    return 0;
}

void hx_plan_free(struct hx_plan *p) {
    if (!p) return;
    free(p->mounts);
    free(p->gids);
    free(p->rlimits);
    if (p->argv) free(p->argv - 3);
    free(p->envp);
    free(p->buf);
    free(p);
}

/* Two passes: count repeated records, then fill. All pointers point into p->buf. */
int hx_plan_parse(const uint8_t *data, size_t len, struct hx_plan *p) {
    memset(p, 0, sizeof *p);
    p->stdio[0] = HX_FD_NULL;
    p->stdio[1] = HX_FD_NULL;
    p->stdio[2] = HX_FD_NULL;
    p->report_fd = -1;
    p->start_fd = -1;
    if (len < 8) return -EINVAL;
    p->buf = malloc(len);
    if (!p->buf) return -ENOMEM;
    memcpy(p->buf, data, len);
    uint32_t magic;
    memcpy(&magic, p->buf, 4);
    if (magic != HX_PLAN_MAGIC) return -EINVAL;

    size_t nmounts = 0, nrl = 0, nargs = 0, nenv = 0;
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *cur = (const uint8_t *)p->buf + 8, *end = (const uint8_t *)p->buf + len;
        if (pass == 1) {
            p->mounts = calloc(nmounts + 1, sizeof *p->mounts);
            p->rlimits = calloc(nrl + 1, sizeof *p->rlimits);
            char **args = calloc(nargs + 4, sizeof(char *));
            p->envp = calloc(nenv + 1, sizeof(char *));
            if (!p->mounts || !p->rlimits || !args || !p->envp) {
                free(args);
                return -ENOMEM;
            }
            p->argv = args + 3; /* three slots in front for an init: init, "--", program */
        }
        while (cur < end) {
            if (end - cur < 8) return -EINVAL;
            uint16_t tag;
            uint32_t rlen;
            memcpy(&tag, cur, 2);
            memcpy(&rlen, cur + 4, 4);
            cur += 8;
            if ((size_t)(end - cur) < rlen) return -EINVAL;
            struct reader r = {cur, cur + rlen};
            cur += rlen;
            if (pass == 0) {
                if (tag == HX_TAG_MOUNT) nmounts++;
                else if (tag == HX_TAG_RLIMIT) nrl++;
                else if (tag == HX_TAG_ARG) nargs++;
                else if (tag == HX_TAG_ENV) nenv++;
                continue;
            }
            switch (tag) {
            case HX_TAG_ROOTFS:
                if (rd_str(&r, &p->rootfs)) return -EINVAL;
                break;
            case HX_TAG_OPTIONS:
                if (rd_u32(&r, &p->ns_flags) || rd_u32(&r, &p->options)) return -EINVAL;
                break;
            case HX_TAG_HOSTNAME:
                if (rd_str(&r, &p->hostname)) return -EINVAL;
                break;
            case HX_TAG_MOUNT: {
                struct hx_mount *m = &p->mounts[p->nmounts++];
                uint32_t zero;
                if (rd_u32(&r, &m->kind) || rd_u32(&r, &m->flags) || rd_u32(&r, &m->bits) || rd_u32(&r, &zero) ||
                    rd_str(&r, &m->source) || rd_str(&r, &m->target) || rd_str(&r, &m->fstype) || rd_str(&r, &m->data))
                    return -EINVAL;
                if (m->target[0] != '/') return -EINVAL;
                break;
            }
            case HX_TAG_CWD:
                if (rd_str(&r, &p->cwd)) return -EINVAL;
                break;
            case HX_TAG_USER: {
                uint32_t n;
                if (rd_u32(&r, &p->uid) || rd_u32(&r, &p->gid) || rd_u32(&r, &n) || n > 65536) return -EINVAL;
                p->gids = calloc(n + 1, sizeof *p->gids);
                if (!p->gids) return -ENOMEM;
                for (uint32_t i = 0; i < n; i++)
                    if (rd_u32(&r, &p->gids[i])) return -EINVAL;
                p->ngroups = n;
                p->has_user = 1;
                break;
            }
            case HX_TAG_CAPS:
                if (rd_u64(&r, &p->cap_bounding) || rd_u64(&r, &p->cap_effective) || rd_u64(&r, &p->cap_permitted) ||
                    rd_u64(&r, &p->cap_inheritable) || rd_u64(&r, &p->cap_ambient) || rd_u32(&r, &p->cap_last) || p->cap_last > 63)
                    return -EINVAL;
                p->has_caps = 1;
                break;
            case HX_TAG_RLIMIT: {
                struct hx_rlimit *l = &p->rlimits[p->nrlimits++];
                uint32_t zero;
                if (rd_u32(&r, &l->resource) || rd_u32(&r, &zero) || rd_u64(&r, &l->soft) || rd_u64(&r, &l->hard)) return -EINVAL;
                break;
            }
            case HX_TAG_SECCOMP:
                if (rlen == 0 || rlen % 8 != 0 || rlen / 8 > 65535) return -EINVAL;
                p->seccomp = r.p;
                p->seccomp_len = rlen;
                break;
            case HX_TAG_ARG:
                if (rd_str(&r, (const char **)&p->argv[p->argc++])) return -EINVAL;
                break;
            case HX_TAG_ENV: {
                const char *e;
                if (rd_str(&r, &e)) return -EINVAL;
                p->envp[p->envc++] = (char *)e;
                if (strncmp(e, "PATH=", 5) == 0) p->path_env = e + 5;
                break;
            }
            case HX_TAG_STDIO:
                for (int i = 0; i < 3; i++)
                    if (rd_u32(&r, (uint32_t *)&p->stdio[i])) return -EINVAL;
                break;
            case HX_TAG_INIT:
                if (rd_str(&r, &p->init)) return -EINVAL;
                p->argv[-3] = (char *)p->init;
                p->argv[-2] = "--";
                break;
            case HX_TAG_TTYGID:
                if (rd_u32(&r, &p->tty_gid)) return -EINVAL;
                break;
            default:
                return -EINVAL; /* an unknown record: TS and C are out of step */
            }
        }
    }
    if (!p->rootfs || p->rootfs[0] != '/' || p->argc == 0) return -EINVAL;
    return 0;
}

/* ---- children ---- */

struct child {
    struct child *next;
    uint32_t id;
    pid_t pid;
    int pidfd;
    int report_fd;
    int reported_error;
    struct hx_plan *plan;
    void *stack;
    /* the tether (spawn_child.c hx_tether_main): our end of its pipe, its pidfd, its stack */
    int tether_w;
    int tether_pidfd;
    void *tether_stack;
};

/* N-API calls come from Node's main thread, but the library may be used from others. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct child *children;
static uint32_t next_id = 1;

static struct child *find_child(uint32_t id) {
    for (struct child *c = children; c; c = c->next)
        if (c->id == id) return c;
    return NULL;
}

static void release_memory(struct child *c) {
    if (c->stack) munmap(c->stack, CHILD_STACK_SIZE);
    c->stack = NULL;
    hx_plan_free(c->plan);
    c->plan = NULL;
}

/* The container is gone: the tether exits on its own (its pidfd turned readable); closing
 * our end tells it the same. Reap it (it exits at once), then free its stack. */
static void release_tether(struct child *c) {
    if (c->tether_w >= 0) close(c->tether_w);
    c->tether_w = -1;
    if (c->tether_pidfd >= 0) {
        siginfo_t si;
        while (waitid((idtype_t)P_PIDFD, (id_t)c->tether_pidfd, &si, WEXITED | __WALL) < 0 && errno == EINTR) {
        }
        close(c->tether_pidfd);
        c->tether_pidfd = -1;
    }
    if (c->tether_stack) munmap(c->tether_stack, TETHER_STACK_SIZE);
    c->tether_stack = NULL;
}

static void close_report(struct child *c) {
    if (c->report_fd >= 0) close(c->report_fd);
    c->report_fd = -1;
}

/* Read what the child reported. WAIT_MS > 0 waits that long for the first message. */
static size_t drain_report(struct child *c, struct hx_event *out, size_t room, int wait_ms) {
    size_t n = 0;
    while (c->report_fd >= 0 && n < room) {
        if (wait_ms > 0 && n == 0) {
            struct pollfd pfd = {.fd = c->report_fd, .events = POLLIN};
            int r = poll(&pfd, 1, wait_ms);
            if (r < 0 && errno == EINTR) continue;
            if (r == 0) break;
        }
        struct hx_child_msg msg;
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } control;
        struct iovec iov = {.iov_base = &msg, .iov_len = sizeof msg};
        struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
        ssize_t got = recvmsg(c->report_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && errno == EAGAIN) break;
        struct hx_event *ev = &out[n];
        memset(ev, 0, sizeof *ev);
        ev->id = c->id;
        ev->pid = c->pid;
        if (got <= 0) {
            /* EOF: the child exec'd (CLOEXEC) or died. Both happen after its address
             * space stopped being ours, so its stack and plan can go now. */
            close_report(c);
            release_memory(c);
            if (!c->reported_error) {
                ev->type = HX_EV_EXEC;
                n++;
            }
            break;
        }
        if ((size_t)got < sizeof msg) continue;
        if (msg.type == HX_MSG_TTY) {
            struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
            if (!cm || cm->cmsg_type != SCM_RIGHTS) continue;
            ev->type = HX_EV_TTY;
            memcpy(&ev->a, CMSG_DATA(cm), sizeof(int));
            n++;
        } else if (msg.type == HX_MSG_ERROR) {
            c->reported_error = 1;
            ev->type = HX_EV_ERROR;
            ev->a = msg.step;
            ev->b = msg.err;
            msg.detail[sizeof ev->detail - 1] = 0;
            memcpy(ev->detail, msg.detail, sizeof ev->detail);
            n++;
        }
    }
    return n;
}

int hx_spawn_collect(int32_t id, struct hx_event *out, size_t room, int wait_ms) {
    if (room < 3) return -EINVAL;
    pthread_mutex_lock(&lock);
    struct child *c = find_child((uint32_t)id);
    if (!c) {
        pthread_mutex_unlock(&lock);
        return -ESRCH;
    }
    size_t n = drain_report(c, out, room - 1, wait_ms);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    if (waitid((idtype_t)P_PIDFD, (id_t)c->pidfd, &si, WEXITED | WNOHANG | __WALL) == 0 && si.si_pid != 0) {
        /* Exited: its report socket is at EOF already (exit_files runs before the exit
         * is signalled), so ERROR/EXEC always come out ahead of EXIT. */
        n += drain_report(c, out + n, room - 1 - n, 0);
        struct hx_event *ev = &out[n++];
        memset(ev, 0, sizeof *ev);
        ev->id = c->id;
        ev->pid = c->pid;
        ev->type = HX_EV_EXIT;
        ev->a = si.si_code;
        ev->b = si.si_status;
        close(c->pidfd);
        close_report(c);
        release_memory(c);
        release_tether(c);
        for (struct child **pp = &children; *pp; pp = &(*pp)->next)
            if (*pp == c) {
                *pp = c->next;
                break;
            }
        free(c);
    }
    pthread_mutex_unlock(&lock);
    return (int)n;
}

/* Pipes for the slots that ask for one: the child's end replaces the slot, ours goes to
 * NEAR. FAR holds the child's ends, to close once it has its copies. */
static int make_stdio_pipes(struct hx_plan *plan, int near[3], int far[3]) {
    for (int i = 0; i < 3; i++) {
        if (plan->stdio[i] != HX_FD_PIPE) continue;
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0) return -errno;
        near[i] = i == 0 ? p[1] : p[0];
        far[i] = i == 0 ? p[0] : p[1];
        plan->stdio[i] = far[i];
    }
    if (plan->stdio[2] == HX_FD_PIPE_STDOUT) {
        if (far[1] < 0) return -EINVAL;
        plan->stdio[2] = far[1];
    }
    return 0;
}

int hx_spawn(const uint8_t *data, size_t len, int32_t *id_out, int32_t *pid_out, int32_t *start_fd_out, int32_t stdio_out[3]) {
    struct hx_plan *plan = calloc(1, sizeof *plan);
    if (!plan) return -ENOMEM;
    int r = hx_plan_parse(data, len, plan);
    if (r < 0) {
        hx_plan_free(plan);
        return r;
    }
    struct child *c = calloc(1, sizeof *c);
    int sv[2] = {-1, -1}, sp[2] = {-1, -1}, tp[2] = {-1, -1};
    int near[3] = {-1, -1, -1}, far[3] = {-1, -1, -1};
    void *stack = MAP_FAILED, *tstack = MAP_FAILED;
    int pidfd = -1, tether_pidfd = -1;
    pid_t pid = -1;
    if (!c) {
        r = -ENOMEM;
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(sp, O_CLOEXEC) < 0 || pipe2(tp, O_CLOEXEC) < 0) {
        r = -errno;
        goto fail;
    }
    r = make_stdio_pipes(plan, near, far);
    if (r < 0) goto fail;
    stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    tstack = mmap(NULL, TETHER_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED || tstack == MAP_FAILED) {
        r = -errno;
        goto fail;
    }
    plan->report_fd = sv[1];
    plan->start_fd = sp[0];

    /* Block every signal around clone: the child must not run a Node handler before it
     * has reset them (it inherits this mask and clears it just before execve); the tether
     * keeps it for good. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    /* SIGCHLD on exit: Node listens for it (process.on('SIGCHLD')) and collects. */
    int flags = CLONE_VM | CLONE_PIDFD | (int)plan->ns_flags | SIGCHLD;
    pid = clone(hx_child_main, (char *)stack + CHILD_STACK_SIZE, flags, plan, &pidfd);
    int clone_errno = errno;
    if (pid > 0) {
        /* The tether's arguments live at the top of its own stack (it never returns). */
        struct hx_tether_args *ta = (struct hx_tether_args *)((char *)tstack + TETHER_STACK_SIZE) - 1;
        ta->tether_fd = tp[0];
        ta->pidfd = pidfd;
        /* No exit signal: Node is not told; release_tether reaps it through its pidfd. */
        pid_t tpid = clone(hx_tether_main, (char *)ta - 64, CLONE_VM | CLONE_PIDFD, ta, &tether_pidfd);
        clone_errno = errno;
        if (tpid < 0) {
            syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
            siginfo_t si;
            waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL);
            close(pidfd);
            pid = -1;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(sv[1]);
    close(sp[0]);
    close(tp[0]);
    sv[1] = sp[0] = tp[0] = -1;
    for (int i = 0; i < 3; i++)
        if (far[i] >= 0) close(far[i]);
    far[0] = far[1] = far[2] = -1;
    if (pid < 0) {
        r = -clone_errno;
        goto fail;
    }

    pthread_mutex_lock(&lock);
    c->id = next_id++;
    c->pid = pid;
    c->pidfd = pidfd;
    c->report_fd = sv[0];
    c->plan = plan;
    c->stack = stack;
    c->tether_w = tp[1];
    c->tether_pidfd = tether_pidfd;
    c->tether_stack = tstack;
    c->next = children;
    children = c;
    *id_out = (int32_t)c->id;
    pthread_mutex_unlock(&lock);
    *pid_out = pid;
    *start_fd_out = sp[1];
    for (int i = 0; i < 3; i++) stdio_out[i] = near[i];
    return 0;

fail:
    for (int i = 0; i < 2; i++) {
        if (sv[i] >= 0) close(sv[i]);
        if (sp[i] >= 0) close(sp[i]);
        if (tp[i] >= 0) close(tp[i]);
    }
    for (int i = 0; i < 3; i++) {
        if (near[i] >= 0) close(near[i]);
        if (far[i] >= 0) close(far[i]);
    }
    if (stack != MAP_FAILED) munmap(stack, CHILD_STACK_SIZE);
    if (tstack != MAP_FAILED) munmap(tstack, TETHER_STACK_SIZE);
    free(c);
    hx_plan_free(plan);
    return r;
}

int hx_spawn_signal(int32_t id, int sig) {
    int r = -ESRCH;
    pthread_mutex_lock(&lock);
    struct child *c = find_child((uint32_t)id);
    if (c && c->pidfd >= 0) r = syscall(SYS_pidfd_send_signal, c->pidfd, sig, NULL, 0) < 0 ? -errno : 0;
    pthread_mutex_unlock(&lock);
    return r;
}
