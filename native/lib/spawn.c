/* libhxns container spawn, parent side: parse the plan, clone the child, and watch it.
 *
 * The child is made with clone(CLONE_VM | namespaces) on a stack of its own: no page
 * tables are copied, so the cost does not grow with Node's heap (a fork-style clone took
 * 39 ms at 1.1 GB RSS). The child shares Node's memory until it execs; child.c
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
#include <stdio.h>
#include <unistd.h>

#include "spawn.h"
#include "procstat.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CHILD_STACK_SIZE (256 * 1024)
#define TETHER_STACK_SIZE (64 * 1024)

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
    /* the tether (child.c hx_tether_main): our end of its pipe, its pidfd, its stack */
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


/* exec: a pidfd of the container's pid 1, after checking it is the process the plan
 * names (a pid and its start time, so a reused pid is never joined). */
static int open_join_target(struct hx_plan *plan) {
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)plan->join_pid, 0);
    if (fd < 0) return -errno;
    if (hx_start_time((pid_t)plan->join_pid) != plan->join_start) {
        close(fd);
        return -ESRCH;
    }
    plan->join_pidfd = fd;
    return 0;
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

struct join_args {
    struct hx_plan *plan;
    void *stack;
    int flags;
    int pidfd;
    pid_t pid;
    int err;
};

/* Runs on the tether's stack (an exec has no tether), sharing our memory and fds. */
static int join_helper(void *arg) {
    struct join_args *a = arg;
    if (setns(a->plan->join_pidfd, CLONE_NEWPID) < 0) {
        a->err = errno;
        _exit(1);
    }
    a->pid = clone(hx_child_main, (char *)a->stack + CHILD_STACK_SIZE, a->flags | CLONE_PARENT, a->plan, &a->pidfd);
    a->err = a->pid < 0 ? errno : 0;
    _exit(0);
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
    if (plan->join_pid) {
        r = open_join_target(plan);
        if (r < 0) goto fail;
    }
    if (plan->netjoin_pid) {
        r = hx_open_netjoin(plan);
        if (r < 0) goto fail;
    }
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
    int clone_errno = 0;
    if (plan->join_pid) {
        /* exec: the child must be born in the container's pid namespace, and only a
         * process that entered it can make one there. Entering is one way when the
         * container's namespace belongs to hx's user namespace and ours to the host's
         * (no way back up), so a helper that shares our memory and fds enters it and
         * clones the child as our child (CLONE_PARENT), then exits. */
        struct join_args ja = {.plan = plan, .stack = stack, .flags = flags, .pidfd = -1, .pid = -1};
        pid_t h = clone(join_helper, (char *)tstack + TETHER_STACK_SIZE, CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &ja);
        if (h < 0) {
            clone_errno = errno;
        } else {
            int st;
            while (waitpid(h, &st, __WALL) < 0 && errno == EINTR) {
            }
            pid = ja.pid;
            pidfd = ja.pidfd;
            clone_errno = ja.err;
        }
    } else {
        pid = clone(hx_child_main, (char *)stack + CHILD_STACK_SIZE, flags, plan, &pidfd);
        clone_errno = errno;
    }
    if (pid > 0 && !plan->join_pid) {
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

int hx_signal_verified(int32_t pid, uint64_t start, int sig) {
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
    if (fd < 0) return -errno;
    /* the pidfd pins the process: after this check the signal cannot reach a newcomer */
    int r = hx_start_time((pid_t)pid) == start ? (syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0 ? -errno : 0) : -ESRCH;
    close(fd);
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
