/* `hx __monitor ID DIR RUNDIR [options] [-- EXIT-COMMAND...]`: runs one detached
 * container from DIR/plan.hxp (the binary plan src/runtime/plan.ts writes, executed by
 * the same child code libhxns uses) and supervises it until it is gone for good.
 *
 * Started by src/container/monitor.ts with fd 3 a pipe: the monitor forks (so it is
 * nobody's child), starts a new session, becomes a child subreaper, starts the container
 * and writes "ok PID STARTTIME" (or "error STEP ERRNO DETAIL") to fd 3. From then on it
 * owns the container's stdio (pipes, or the pty the child made), writes DIR/ctr.log and
 * DIR/state.json, serves RUNDIR/attach, restarts the container as --restart says (with
 * moby's back-off: 100 ms doubling to a minute, reset after 10 s of running), and at
 * the end runs the exit command (hx's cleanup: unmount, --rm) and exits.
 *
 * Options: --tty  --stdin  --log-max-size BYTES  --log-max-files N
 *          --restart no|always|unless-stopped|on-failure  --restart-max N
 *          --cgroup-procs FILE (repeated: each cgroup.procs the container's first process
 *          is written to before its go-ahead, on every start)  --cgroup-tasks FILE
 *          (repeated, v1: opened for the child, which joins by writing "0" to each)  --oom-file FILE (its
 *          oom_kill counter, read at each exit for OOMKilled)  --oom-score-adj N */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../lib/spawn.h"
#include "attach.h"
#include "health.h"
#include "monitor.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

enum restart_policy { RESTART_NO, RESTART_ALWAYS, RESTART_UNLESS_STOPPED, RESTART_ON_FAILURE };

struct mon {
    const char *id, *dir, *rundir;
    int tty, open_stdin, no_log;
    int wait_attach; /* --attach-wait: the first start waits for a client (start -a) */
    int network_hook; /* --network-hook: `hx container __network ID PID 3` before each go-ahead */
    int net_life;     /* write end of the pipe whose read end the network helper watches */
    int starting;    /* between clone and the go-ahead: not running yet, not exited either */
    struct hx_events events; /* --events: the store's event log */
    int health_said; /* the health status last told in an event (-1: none) */
    const char *event_start, *event_die; /* their actions ("" for none): an exec's are exec_die and none */
    uint64_t log_max_size;
    int log_max_files;
    enum restart_policy restart;
    int restart_max;
    char **exit_command;
    const char *cgroup_procs[16];
    int n_cgroup_procs;
    const char *cgroup_tasks[16]; /* v1: the child joins through these itself */
    int n_cgroup_tasks;
    const char *oom_file;
    int has_oom_score_adj, oom_score_adj;
    unsigned long long oom_before;

    struct hx_log log;
    struct hx_attach att;
    struct hx_state st;
    struct hx_health health;

    pid_t pid;
    int pidfd;
    int out_fd, err_fd, in_fd, master_fd;
    int sigfd, timerfd;
    enum { T_NONE, T_KILL, T_RESTART } timer;
    int manual_stop;
    struct timespec started;
    uint64_t backoff_ms;
    int running;
    /* clients waiting for the container to stop (hx stop): they get the exit frame */
};

static struct mon M;
/* the starter's owner lock of the container (store/owners.ts), handed over as fd 4 */
#define OWNER_LOCK_FD 4
static char health_json[140 * 1024];

/* state.json, with the health state as it is now */
static void save_state(void) {
    M.st.health_json = hx_health_json(&M.health, health_json, sizeof health_json) ? health_json : NULL;
    hx_state_write(M.dir, &M.st);
}

/* In a forked child about to exec one of hx's own commands: stdin from /dev/null, stdout
 * and stderr appended to DIR/NAME (or /dev/null when it cannot be opened). */
static void stdio_to_log(const char *name) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", M.dir, name);
    /* CLOEXEC: only the dup2'd copies reach the command */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int log = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    dup2(null, 0);
    dup2(log >= 0 ? log : null, 1);
    dup2(log >= 0 ? log : null, 2);
}

static char child_stack[256 * 1024] __attribute__((aligned(16)));

static void die(const char *what, int err) {
    snprintf(M.st.error, sizeof M.st.error, "monitor: %s: %s", what, strerror(err));
    M.st.status = "dead";
    save_state();
    _exit(1);
}

static int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static ssize_t read_file(const char *path, uint8_t **out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (64 << 20)) {
        close(fd);
        return -EINVAL;
    }
    uint8_t *buf = malloc((size_t)st.st_size);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    ssize_t got = 0;
    while (got < st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)(st.st_size - got));
        if (n <= 0) break;
        got += n;
    }
    close(fd);
    *out = buf;
    return got;
}

static void on_frame(void *ctx, struct hx_client *c, int type, const uint8_t *body, size_t len);

/* `hx start -a`: the container waits (10 s at most) until the starter has attached, so
 * not a byte of its output is missed. The starter was told "wait PID" on fd 3. */
static void wait_for_attach(pid_t pid) {
    char line[64];
    snprintf(line, sizeof line, "wait %d\n", pid);
    if (write(3, line, strlen(line)) < 0) return; /* nobody to wait for */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        for (int i = 0; i < HX_MAX_CLIENTS; i++)
            if (M.att.clients[i].fd >= 0 && M.att.clients[i].hello) return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 10000 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        if (left <= 0) return;
        struct pollfd p[1 + HX_MAX_CLIENTS];
        int idx[1 + HX_MAX_CLIENTS], n = 0;
        p[n] = (struct pollfd){.fd = M.att.listen_fd, .events = POLLIN}, idx[n++] = -1;
        for (int i = 0; i < HX_MAX_CLIENTS; i++)
            if (M.att.clients[i].fd >= 0) p[n] = (struct pollfd){.fd = M.att.clients[i].fd, .events = POLLIN}, idx[n++] = i;
        if (poll(p, (nfds_t)n, (int)left) <= 0) continue;
        for (int k = 0; k < n; k++) {
            if (!p[k].revents) continue;
            if (idx[k] < 0) hx_attach_accept(&M.att);
            else hx_attach_read(&M.att, idx[k], on_frame, NULL);
        }
    }
}

/* The network hook: the exit command with __network for __cleanup, plus the container's
 * PID and fd 3, the read end of a pipe the monitor holds while the container runs (the
 * helper it starts, slirp4netns, quits when that closes). The hook connects the
 * container's namespace before its command runs, at every (re)start; 0 when it did. */
static int run_network_hook(pid_t pid) {
    int n = 0;
    while (M.exit_command && M.exit_command[n]) n++;
    if (n == 0) return -1;
    char **argv = calloc((size_t)n + 3, sizeof *argv);
    char pidtext[24];
    if (!argv) return -1;
    snprintf(pidtext, sizeof pidtext, "%d", pid);
    for (int k = 0; k < n; k++) argv[k] = strcmp(M.exit_command[k], "__cleanup") == 0 ? "__network" : M.exit_command[k];
    argv[n] = pidtext;
    argv[n + 1] = "3";
    int life[2];
    if (M.net_life >= 0) close(M.net_life);
    M.net_life = -1;
    if (pipe2(life, O_CLOEXEC) < 0) {
        free(argv);
        return -1;
    }
    pid_t p = fork();
    if (p == 0) {
        stdio_to_log("network.log");
        dup2(life[0], 3); /* without CLOEXEC: the helper inherits it through the hook */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(argv[0], argv);
        _exit(127);
    }
    free(argv);
    close(life[0]);
    if (p < 0) {
        close(life[1]);
        return -1;
    }
    int status = -1;
    for (int i = 0; i < 600; i++) { /* at most a minute */
        pid_t w = waitpid(p, &status, WNOHANG);
        if (w == p) break;
        status = -1;
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    if (status == -1) {
        kill(p, SIGKILL);
        waitpid(p, &status, 0);
        status = -1;
    }
    if (status != 0) {
        close(life[1]);
        return -1;
    }
    M.net_life = life[1];
    return 0;
}

/* The error a failed start reports back to the starter on fd 3 (and in the state). */
struct start_error {
    int step, err;
    char detail[244];
};

/* The oom_kill counter of memory.oom_control (v1) or memory.events (v2): same key. */
static unsigned long long oom_kills(void) {
    if (!M.oom_file) return 0;
    char buf[4096];
    int fd = open(M.oom_file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strncmp(l, "oom_kill ", 9) == 0) return strtoull(l + 9, NULL, 10);
    return 0;
}

static int write_text(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t w = write(fd, text, strlen(text));
    int err = w < 0 ? errno : 0;
    close(fd);
    return w < 0 ? -err : 0;
}

/* Put the container's first process in its cgroup (and set its OOM score) while it
 * waits for the go-ahead: every byte and fork of its command counts. */
static int place_container(pid_t pid, struct start_error *e) {
    char text[32];
    snprintf(text, sizeof text, "%d", pid);
    for (int i = 0; i < M.n_cgroup_procs; i++) {
        int r = write_text(M.cgroup_procs[i], text);
        if (r < 0) {
            e->step = HX_STEP_START;
            e->err = -r;
            snprintf(e->detail, sizeof e->detail, "(join the cgroup %s)", M.cgroup_procs[i]);
            return -1;
        }
    }
    if (M.has_oom_score_adj) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/oom_score_adj", pid);
        snprintf(text, sizeof text, "%d", M.oom_score_adj);
        int r = write_text(path, text);
        if (r < 0) {
            e->step = HX_STEP_START;
            e->err = -r;
            snprintf(e->detail, sizeof e->detail, "(set oom_score_adj)");
            return -1;
        }
    }
    M.oom_before = oom_kills();
    return 0;
}

/* Start the container from the plan; 0, or -1 with E filled. */
static int spawn_container(struct start_error *e) {
    char path[4200];
    snprintf(path, sizeof path, "%s/plan.hxp", M.dir);
    uint8_t *data = NULL;
    ssize_t len = read_file(path, &data);
    memset(e, 0, sizeof *e);
    if (len < 0) {
        e->err = (int)-len;
        snprintf(e->detail, sizeof e->detail, "read plan.hxp");
        return -1;
    }
    struct hx_plan *plan = calloc(1, sizeof *plan);
    int r = plan ? hx_plan_parse(data, (size_t)len, plan) : -ENOMEM;
    free(data);
    if (r < 0) {
        e->err = -r;
        snprintf(e->detail, sizeof e->detail, "plan.hxp");
        hx_plan_free(plan);
        return -1;
    }
    int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, sv[2] = {-1, -1}, sp[2] = {-1, -1};
    /* cgroup v1 `tasks` files, open for the child to write "0" to after the go-ahead */
    int ncg = 0;
    for (; ncg < M.n_cgroup_tasks; ncg++) {
        plan->cgroup_fds[ncg] = open(M.cgroup_tasks[ncg], O_WRONLY | O_CLOEXEC);
        if (plan->cgroup_fds[ncg] < 0) {
            e->err = errno;
            e->step = HX_STEP_START;
            snprintf(e->detail, sizeof e->detail, "(open the cgroup %s)", M.cgroup_tasks[ncg]);
            goto sys_fail_set;
        }
    }
    plan->n_cgroup_fds = (uint32_t)ncg;
    if (!M.tty) {
        if ((M.open_stdin && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) goto sys_fail;
        plan->stdio[0] = M.open_stdin ? in[0] : HX_FD_NULL;
        plan->stdio[1] = out[1];
        plan->stdio[2] = err[1];
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(sp, O_CLOEXEC) < 0) goto sys_fail;
    plan->report_fd = sv[1];
    plan->start_fd = sp[0];
    int pidfd = -1;
    if (plan->join_pid) {
        /* exec -d: the new process joins a running container (its pid 1 named by pid and
         * start time); the pid namespace is entered for the clone, the rest by the child.
         * There is no way back (see native/lib/spawn.c), and none is needed: an exec's
         * monitor starts one process only. */
        plan->join_pidfd = (int)syscall(SYS_pidfd_open, (pid_t)plan->join_pid, 0);
        if (plan->join_pidfd < 0 || hx_start_time((pid_t)plan->join_pid) != plan->join_start ||
            setns(plan->join_pidfd, CLONE_NEWPID) < 0) {
            e->err = plan->join_pidfd < 0 || hx_start_time((pid_t)plan->join_pid) != plan->join_start ? ESRCH : errno;
            e->step = HX_STEP_JOIN;
            snprintf(e->detail, sizeof e->detail, "join the container");
            goto sys_fail_set;
        }
    }
    if (plan->netjoin_pid) {
        int nr = hx_open_netjoin(plan);
        if (nr < 0) {
            e->err = -nr;
            e->step = HX_STEP_JOIN;
            snprintf(e->detail, sizeof e->detail, "the network of the container");
            goto sys_fail_set;
        }
    }
    /* No CLONE_VM here: the monitor is small, a copy costs nothing, and the child then
     * needs none of the care it takes inside Node. */
    pid_t pid = clone(hx_child_main, child_stack + sizeof child_stack, (int)plan->ns_flags | CLONE_PIDFD | SIGCHLD, plan, &pidfd);
    int clone_errno = errno;
    close(sv[1]);
    close(sp[0]);
    for (; ncg > 0; ncg--) close(plan->cgroup_fds[ncg - 1]);
    if (in[0] >= 0) close(in[0]);
    if (out[1] >= 0) close(out[1]);
    if (err[1] >= 0) close(err[1]);
    hx_plan_free(plan);
    if (pid < 0) {
        e->err = clone_errno;
        snprintf(e->detail, sizeof e->detail, "clone");
        goto closing;
    }
    /* What the child reports before it waits for the go-ahead: its terminal, or an error. */
    int master = -1, failed = 0, net_failed = 0;
    for (int phase = 0; phase < 2; phase++) {
        if (phase == 1) {
            if (place_container(pid, e) < 0) {
                kill(pid, SIGKILL);
                failed = 1;
                close(sp[1]);
                sp[1] = -1;
                break;
            }
            if (M.wait_attach) {
                M.wait_attach = 0;
                M.in_fd = in[1];
                M.master_fd = master;
                M.starting = 1;
                wait_for_attach(pid);
                M.starting = 0;
            }
            /* The hook wrote why it failed to DIR/network-error.json; the child then gets
             * no go-ahead. A child that failed on its own (a command not found) has said
             * so on its report socket, read below: that is the error to report. */
            if (M.network_hook && run_network_hook(pid) < 0) {
                /* Closing sp[1] is no EOF for the child: its copy of the fd table holds the
                 * write end too, so it would wait for the go-ahead forever and the read of
                 * its report below with it. Killed now, its report socket reaches EOF. */
                net_failed = 1;
                syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
            }
            char go = 1;
            if (!net_failed && write(sp[1], &go, 1) != 1) { /* the child died: its report says why */ }
            close(sp[1]);
            sp[1] = -1;
        }
        for (;;) {
            struct pollfd p = {.fd = sv[0], .events = POLLIN};
            if (phase == 0 && master < 0 && M.tty) {
                if (poll(&p, 1, 30000) <= 0) break;
            } else if (phase == 0) {
                break; /* no terminal to wait for: go on */
            }
            struct hx_child_msg msg;
            union {
                char buf[CMSG_SPACE(sizeof(int))];
                struct cmsghdr align;
            } control;
            struct iovec iov = {.iov_base = &msg, .iov_len = sizeof msg};
            struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
            ssize_t got = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break; /* EOF: the child exec'd (or died) */
            if ((size_t)got < sizeof msg) continue;
            if (msg.type == HX_MSG_TTY) {
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&master, CMSG_DATA(cm), sizeof(int));
                if (phase == 0) break;
            } else if (msg.type == HX_MSG_ERROR) {
                e->step = msg.step;
                e->err = msg.err;
                msg.detail[sizeof msg.detail - 1] = 0;
                snprintf(e->detail, sizeof e->detail, "%s", msg.detail);
                failed = 1;
            }
        }
    }
    close(sv[0]);
    if (net_failed && (!failed || e->step == HX_STEP_START)) {
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
        e->step = HX_STEP_NETWORK;
        e->err = 0;
        snprintf(e->detail, sizeof e->detail, "network");
        failed = 1;
    }
    if (failed) {
        siginfo_t si;
        waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED);
        close(pidfd);
        if (master >= 0) close(master);
        goto closing_fds;
    }
    M.pid = pid;
    M.pidfd = pidfd;
    M.master_fd = master;
    M.out_fd = out[0];
    M.err_fd = err[0];
    M.in_fd = in[1];
    if (M.out_fd >= 0) set_nonblock(M.out_fd);
    if (M.err_fd >= 0) set_nonblock(M.err_fd);
    if (M.in_fd >= 0) set_nonblock(M.in_fd);
    if (M.master_fd >= 0) set_nonblock(M.master_fd);
    M.running = 1;
    clock_gettime(CLOCK_MONOTONIC, &M.started);
    M.st.status = "running";
    M.st.pid = pid;
    M.st.pid_start = hx_start_time(pid);
    M.st.exit_code = 0;
    M.st.oom_killed = 0;
    M.st.error[0] = 0;
    hx_rfc3339nano(M.st.started_at, sizeof M.st.started_at);
    M.st.finished_at[0] = 0;
    hx_health_container_started(&M.health);
    save_state();
    M.health_said = -1; /* a new start begins "starting" again */
    if (M.event_start[0]) hx_event(&M.events, M.event_start, NULL);
    return 0;

sys_fail:
    e->err = errno;
    snprintf(e->detail, sizeof e->detail, "pipe");
sys_fail_set:
    for (; ncg > 0; ncg--) close(plan->cgroup_fds[ncg - 1]);
    hx_plan_free(plan);
closing:
    if (sv[0] >= 0) close(sv[0]);
    if (sv[1] >= 0) close(sv[1]);
    if (sp[0] >= 0) close(sp[0]);
closing_fds:
    if (sp[1] >= 0) close(sp[1]);
    for (int i = 0; i < 2; i++) {
        if (in[i] >= 0) close(in[i]);
        if (out[i] >= 0) close(out[i]);
        if (err[i] >= 0) close(err[i]);
    }
    return -1;
}

static void arm(int kind, uint64_t ms) {
    struct itimerspec its = {.it_value = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)((ms % 1000) * 1000000)}};
    if (ms == 0) its.it_value.tv_nsec = 1;
    timerfd_settime(M.timerfd, 0, &its, NULL);
    M.timer = kind;
}

static void disarm(void) {
    struct itimerspec its = {0};
    timerfd_settime(M.timerfd, 0, &its, NULL);
    M.timer = T_NONE;
}

/* Move what the container wrote to the log and the attached clients. */
static int pump(int fd, int stream) {
    char buf[65536];
    for (int rounds = 0; rounds < 16; rounds++) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) return 0;
        if (n <= 0) return -1; /* EOF (EIO for a pty whose other side closed) */
        hx_log_write(&M.log, stream, buf, (size_t)n);
        hx_attach_broadcast(&M.att, stream == 2 ? HX_FR_STDERR : HX_FR_STDOUT, buf, (size_t)n);
    }
    return 0;
}

static void close_output(int *fd, int stream) {
    if (*fd < 0) return;
    while (pump(*fd, stream) == 0) {
        struct pollfd p = {.fd = *fd, .events = POLLIN};
        if (poll(&p, 1, 0) <= 0) break;
    }
    hx_log_flush(&M.log, stream);
    close(*fd);
    *fd = -1;
}

static int should_restart(int code) {
    if (M.manual_stop) return 0;
    switch (M.restart) {
    case RESTART_ALWAYS:
    case RESTART_UNLESS_STOPPED:
        return 1;
    case RESTART_ON_FAILURE:
        return code != 0 && (M.restart_max == 0 || M.st.restart_count < M.restart_max);
    default:
        return 0;
    }
}

static void container_exited(const siginfo_t *si) {
    int code = si->si_code == CLD_EXITED ? si->si_status : 128 + si->si_status;
    close_output(&M.out_fd, 1);
    close_output(&M.err_fd, 2);
    close_output(&M.master_fd, 1);
    if (M.in_fd >= 0) close(M.in_fd);
    M.in_fd = -1;
    close(M.pidfd);
    M.pidfd = -1;
    if (M.net_life >= 0) close(M.net_life); /* slirp4netns quits */
    M.net_life = -1;
    M.running = 0;
    M.pid = 0;
    if (M.timer == T_KILL) disarm();
    hx_health_container_stopped(&M.health);
    M.st.exit_code = code;
    M.st.oom_killed = oom_kills() > M.oom_before;
    M.st.pid = 0;
    M.st.pid_start = 0;
    hx_rfc3339nano(M.st.finished_at, sizeof M.st.finished_at);
    /* the die event before the exit frame: a `hx stop` waiting for the frame records its
     * stop after it, in docker's order (kill, die, stop) */
    char exit_attr[40];
    snprintf(exit_attr, sizeof exit_attr, "\"exitCode\":\"%d\"", code);
    if (M.event_die[0]) hx_event(&M.events, M.event_die, exit_attr);
    /* the state before the exit frame: whoever acts on the frame (wait then rm, restart's
     * start) must find the exit recorded, never "running" */
    int restart = should_restart(code);
    if (restart) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        /* moby's restart manager: a container that ran 10 s starts the back-off again */
        if (now.tv_sec - M.started.tv_sec >= 10) M.backoff_ms = 100;
        else M.backoff_ms = M.backoff_ms ? (M.backoff_ms * 2 > 60000 ? 60000 : M.backoff_ms * 2) : 100;
    }
    M.st.status = restart ? "restarting" : "exited";
    save_state();
    int32_t c32 = code;
    hx_attach_broadcast(&M.att, HX_FR_EXIT, &c32, 4);
    if (restart) arm(T_RESTART, M.backoff_ms);
}

static void stop(uint32_t sig, uint32_t timeout) {
    M.manual_stop = 1;
    if (!M.running) {
        if (M.timer == T_RESTART) { /* stopping a restarting container: it stays down */
            disarm();
            M.st.status = "exited";
            save_state();
        }
        return;
    }
    syscall(SYS_pidfd_send_signal, M.pidfd, (int)sig, NULL, 0);
    arm(T_KILL, (uint64_t)timeout * 1000);
}

static void on_frame(void *ctx, struct hx_client *c, int type, const uint8_t *body, size_t len) {
    (void)ctx;
    uint32_t a = 0, b = 0;
    if (len >= 4) memcpy(&a, body, 4);
    if (len >= 8) memcpy(&b, body + 4, 4);
    switch (type) {
    case HX_FR_STDIN: {
        int fd = M.tty ? M.master_fd : M.in_fd;
        for (size_t off = 0; fd >= 0 && off < len;) {
            ssize_t n = write(fd, body + off, len - off);
            if (n < 0 && errno == EAGAIN) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, 1000) <= 0) break; /* a container that reads nothing loses input */
                continue;
            }
            if (n <= 0) break;
            off += (size_t)n;
        }
        break;
    }
    case HX_FR_STDIN_EOF:
        if (!M.tty && M.in_fd >= 0) {
            close(M.in_fd);
            M.in_fd = -1;
        }
        break;
    case HX_FR_RESIZE:
        if (M.master_fd >= 0 && len >= 4) {
            uint16_t rows, cols;
            memcpy(&rows, body, 2);
            memcpy(&cols, body + 2, 2);
            struct winsize ws = {.ws_row = rows, .ws_col = cols};
            ioctl(M.master_fd, TIOCSWINSZ, &ws);
        }
        break;
    case HX_FR_STOP:
        stop(a ? a : SIGTERM, b);
        hx_attach_send(c, HX_FR_ACK, "\0\0\0\0", 4);
        if (!M.running) {
            int32_t code = M.st.exit_code;
            hx_attach_send(c, HX_FR_EXIT, &code, 4);
        }
        break;
    case HX_FR_KILL: {
        uint32_t r = 0;
        if (!M.running || syscall(SYS_pidfd_send_signal, M.pidfd, (int)(a ? a : SIGKILL), NULL, 0) < 0) r = M.running ? (uint32_t)errno : ESRCH;
        /* docker: SIGKILL or the stop signal disables the restart policy until the next start */
        if (!r && b) M.manual_stop = 1;
        hx_attach_send(c, HX_FR_ACK, &r, 4);
        break;
    }
    case HX_FR_HELLO:
        if (!M.running && !M.starting && M.timer != T_RESTART) {
            int32_t code = M.st.exit_code;
            hx_attach_send(c, HX_FR_EXIT, &code, 4);
        }
        break;
    default:
        break;
    }
}

static void run_exit_command(void) {
    if (!M.exit_command || !M.exit_command[0]) return;
    pid_t p = fork();
    if (p == 0) {
        /* what it says goes to DIR/cleanup.log: the only trace of a failed cleanup */
        stdio_to_log("cleanup.log");
        fcntl(OWNER_LOCK_FD, F_SETFD, 0); /* it finishes the container with our ownership */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(M.exit_command[0], M.exit_command);
        _exit(127);
    }
    if (p > 0) {
        for (int i = 0; i < 600; i++) { /* at most a minute */
            int status;
            pid_t w = waitpid(p, &status, WNOHANG);
            if (w == p) break;
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
        }
    }
}

/* moby logs "health_status: STATUS" when the status changes (never for "starting") */
static void health_event(void) {
    int st = (int)M.health.status;
    if (st == HX_HEALTH_STARTING || st == M.health_said) return;
    M.health_said = st;
    hx_event(&M.events, st == HX_HEALTH_HEALTHY ? "health_status: healthy" : "health_status: unhealthy", NULL);
}

static void reap(void) {
    for (;;) {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | __WALL) < 0 || si.si_pid == 0) return;
        if (M.running && si.si_pid == M.pid) container_exited(&si);
        else if (hx_health_reaped(&M.health, si.si_pid, si.si_code == CLD_EXITED ? si.si_status << 8 : si.si_status, M.running)) {
            save_state();
            health_event();
        }
        /* anything else: an orphan of the container reparented to us (subreaper) */
    }
}

static void loop(void) {
    struct pollfd p[8 + HX_MAX_CLIENTS];
    int idx[8 + HX_MAX_CLIENTS];
    for (;;) {
        int n = 0;
        p[n] = (struct pollfd){.fd = M.sigfd, .events = POLLIN}, idx[n++] = -1;
        p[n] = (struct pollfd){.fd = M.timerfd, .events = POLLIN}, idx[n++] = -2;
        p[n] = (struct pollfd){.fd = M.att.listen_fd, .events = POLLIN}, idx[n++] = -3;
        if (M.out_fd >= 0) p[n] = (struct pollfd){.fd = M.out_fd, .events = POLLIN}, idx[n++] = -4;
        if (M.err_fd >= 0) p[n] = (struct pollfd){.fd = M.err_fd, .events = POLLIN}, idx[n++] = -5;
        if (M.master_fd >= 0) p[n] = (struct pollfd){.fd = M.master_fd, .events = POLLIN}, idx[n++] = -6;
        if (M.health.enabled) p[n] = (struct pollfd){.fd = M.health.timerfd, .events = POLLIN}, idx[n++] = -7;
        if (M.health.out_fd >= 0) p[n] = (struct pollfd){.fd = M.health.out_fd, .events = POLLIN}, idx[n++] = -8;
        for (int i = 0; i < HX_MAX_CLIENTS; i++)
            if (M.att.clients[i].fd >= 0) p[n] = (struct pollfd){.fd = M.att.clients[i].fd, .events = POLLIN}, idx[n++] = i;
        if (!M.running && M.timer != T_RESTART) return;
        if (poll(p, (nfds_t)n, -1) < 0) continue;
        for (int k = 0; k < n; k++) {
            if (!p[k].revents) continue;
            switch (idx[k]) {
            case -1: {
                struct signalfd_siginfo si;
                while (read(M.sigfd, &si, sizeof si) == sizeof si) {
                }
                reap();
                break;
            }
            case -2: {
                uint64_t ticks;
                if (read(M.timerfd, &ticks, sizeof ticks) < 0) break;
                if (M.timer == T_KILL && M.running) syscall(SYS_pidfd_send_signal, M.pidfd, SIGKILL, NULL, 0);
                else if (M.timer == T_RESTART) {
                    M.timer = T_NONE;
                    struct start_error e;
                    M.st.restart_count++;
                    if (spawn_container(&e) < 0) {
                        snprintf(M.st.error, sizeof M.st.error, "restart: %s: %s", e.detail, strerror(e.err));
                        M.st.status = "exited";
                        M.st.exit_code = e.err == ENOENT ? 127 : 126;
                        save_state();
                    }
                }
                break;
            }
            case -3:
                hx_attach_accept(&M.att);
                break;
            case -4:
                if (pump(M.out_fd, 1) < 0) close_output(&M.out_fd, 1);
                break;
            case -5:
                if (pump(M.err_fd, 2) < 0) close_output(&M.err_fd, 2);
                break;
            case -6:
                if (pump(M.master_fd, 1) < 0) close_output(&M.master_fd, 1);
                break;
            case -7:
                hx_health_tick(&M.health);
                break;
            case -8:
                hx_health_read(&M.health);
                break;
            default:
                hx_attach_read(&M.att, idx[k], on_frame, NULL);
            }
        }
        /* a pty's master reads EIO as soon as the last process left: the exit follows */
        if (M.running && M.out_fd < 0 && M.err_fd < 0 && M.master_fd < 0) reap();
    }
}

int hx_monitor_main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: hx __monitor ID DIR RUNDIR [options] [-- EXIT-COMMAND...]\n");
        return 2;
    }
    memset(&M, 0, sizeof M);
    M.id = argv[2];
    M.dir = argv[3];
    M.rundir = argv[4];
    M.out_fd = M.err_fd = M.in_fd = M.master_fd = M.pidfd = M.net_life = -1;
    M.log_max_files = 1;
    M.health_said = -1;
    for (int i = 5; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            M.exit_command = argv + i + 1;
            break;
        } else if (strcmp(a, "--tty") == 0) M.tty = 1;
        else if (strcmp(a, "--stdin") == 0) M.open_stdin = 1;
        else if (strcmp(a, "--no-log") == 0) M.no_log = 1;
        else if (strcmp(a, "--attach-wait") == 0) M.wait_attach = 1;
        else if (strcmp(a, "--network-hook") == 0) M.network_hook = 1;
        else if (strcmp(a, "--events") == 0 && i + 1 < argc) M.events.path = argv[++i];
        else if (strcmp(a, "--event-from") == 0 && i + 1 < argc) M.events.from = argv[++i];
        else if (strcmp(a, "--event-attrs") == 0 && i + 1 < argc) M.events.attrs = argv[++i];
        else if (strcmp(a, "--event-id") == 0 && i + 1 < argc) M.events.id = argv[++i];
        else if (strcmp(a, "--event-start") == 0 && i + 1 < argc) M.event_start = argv[++i];
        else if (strcmp(a, "--event-die") == 0 && i + 1 < argc) M.event_die = argv[++i];
        else if (strcmp(a, "--health") == 0 && i + 1 < argc) {
            /* INTERVAL,TIMEOUT,START-PERIOD,START-INTERVAL in ms, then RETRIES */
            unsigned long long iv, to, sp, si;
            int re;
            if (sscanf(argv[++i], "%llu,%llu,%llu,%llu,%d", &iv, &to, &sp, &si, &re) == 5 && iv && to && re > 0) {
                M.health.enabled = 1;
                M.health.interval_ms = iv, M.health.timeout_ms = to, M.health.start_period_ms = sp, M.health.start_interval_ms = si;
                M.health.retries = re;
            }
        }
        else if (strcmp(a, "--cgroup-procs") == 0 && i + 1 < argc) {
            if (M.n_cgroup_procs < (int)(sizeof M.cgroup_procs / sizeof M.cgroup_procs[0])) M.cgroup_procs[M.n_cgroup_procs++] = argv[++i];
            else i++;
        }
        else if (strcmp(a, "--cgroup-tasks") == 0 && i + 1 < argc) {
            if (M.n_cgroup_tasks < (int)(sizeof M.cgroup_tasks / sizeof M.cgroup_tasks[0])) M.cgroup_tasks[M.n_cgroup_tasks++] = argv[++i];
            else i++;
        }
        else if (strcmp(a, "--oom-file") == 0 && i + 1 < argc) M.oom_file = argv[++i];
        else if (strcmp(a, "--oom-score-adj") == 0 && i + 1 < argc) M.has_oom_score_adj = 1, M.oom_score_adj = atoi(argv[++i]);
        else if (strcmp(a, "--log-max-size") == 0 && i + 1 < argc) M.log_max_size = strtoull(argv[++i], NULL, 10);
        else if (strcmp(a, "--log-max-files") == 0 && i + 1 < argc) M.log_max_files = atoi(argv[++i]);
        else if (strcmp(a, "--restart-max") == 0 && i + 1 < argc) M.restart_max = atoi(argv[++i]);
        else if (strcmp(a, "--restart") == 0 && i + 1 < argc) {
            const char *r = argv[++i];
            M.restart = strcmp(r, "always") == 0 ? RESTART_ALWAYS : strcmp(r, "unless-stopped") == 0 ? RESTART_UNLESS_STOPPED : strcmp(r, "on-failure") == 0 ? RESTART_ON_FAILURE : RESTART_NO;
        }
    }
    if (M.health.enabled) {
        /* the probe is the exit command with __healthcheck for __cleanup: same hx, same store */
        int n = 0;
        while (M.exit_command && M.exit_command[n]) n++;
        M.health.argv = calloc((size_t)n + 1, sizeof *M.health.argv);
        for (int k = 0; M.health.argv && k < n; k++) M.health.argv[k] = strcmp(M.exit_command[k], "__cleanup") == 0 ? "__healthcheck" : M.exit_command[k];
        if (!M.health.argv || n == 0) M.health.enabled = 0;
    }
    /* Nobody's child: the command that started us exits as soon as we are up. */
    pid_t first = fork();
    if (first < 0) return 125;
    if (first > 0) return 0;
    setsid();
    /* it outlives the command that started it: keep only the report pipe (3) and the owner
     * lock (4), never a pipe or lock the caller's own parent left open (a make jobserver, a
     * test harness waiting for EOF) */
    syscall(SYS_close_range, 5U, ~0U, 0U);
    /* the owner lock stays ours: a network hook, a health probe or a helper they start (a
     * long-lived pasta) must not hold it, or the container stays "busy" after it stops; only
     * the cleanup command inherits it (run_exit_command) */
    fcntl(OWNER_LOCK_FD, F_SETFD, FD_CLOEXEC);
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    prctl(PR_SET_NAME, "hx-monitor");
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        dup3(null, 0, 0);
        dup3(null, 1, 0);
        dup3(null, 2, 0);
    }
    if (!M.events.id) M.events.id = M.id;
    if (!M.event_start) M.event_start = "start";
    if (!M.event_die) M.event_die = "die";
    if (!M.events.from) M.events.from = "\"\"";
    if (!M.events.attrs) M.events.attrs = "";
    M.st.monitor_pid = getpid();
    M.st.monitor_start = hx_start_time(getpid());
    M.st.status = "created";
    sigset_t set;
    sigfillset(&set);
    sigprocmask(SIG_BLOCK, &set, NULL); /* signals come in through signalfd, or not at all */
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    M.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    M.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (M.sigfd < 0 || M.timerfd < 0) die("signalfd", errno);
    if (hx_health_init(&M.health) < 0) M.health.enabled = 0;
    char path[4200];
    snprintf(path, sizeof path, "%s/ctr.log", M.dir);
    int r = 0;
    if (M.no_log) M.log.fd = -1; /* --log-driver none */
    else if ((r = hx_log_open(&M.log, path, M.log_max_size, M.log_max_files)) < 0) die("open the log", -r);
    r = hx_attach_listen(&M.att, M.rundir);
    if (r < 0) die("listen on the attach socket", -r);
    struct start_error e;
    char line[400];
    if (spawn_container(&e) < 0) {
        snprintf(line, sizeof line, "error %d %d %s\n", e.step, e.err, e.detail);
        if (write(3, line, strlen(line)) < 0) { /* the starter went away */ }
        snprintf(M.st.error, sizeof M.st.error, "%s: %s", e.detail, strerror(e.err));
        M.st.status = "exited";
        M.st.exit_code = 125;
        save_state();
        return 1; /* the starter cleans up: it still owns the container */
    }
    snprintf(line, sizeof line, "ok %d %llu\n", M.pid, (unsigned long long)M.st.pid_start);
    if (write(3, line, strlen(line)) < 0) { /* the starter went away: the container runs on */ }
    close(3);
    loop();
    /* keep the socket until the clients have seen the end */
    for (int i = 0; i < HX_MAX_CLIENTS; i++) hx_attach_drop(&M.att, i);
    snprintf(path, sizeof path, "%s/attach", M.rundir);
    unlink(path);
    run_exit_command();
    return 0;
}
