/* Health checks (moby daemon/health.go): every interval (the start interval during the
 * start period) the monitor runs the probe, `hx container __healthcheck ID` (an exec of
 * the container's HEALTHCHECK), reads up to 4096 bytes of what it printed, kills it at
 * the timeout, and keeps docker's health state: starting / healthy / unhealthy, the
 * failing streak, the last five results. The state goes into state.json as JSON. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "health.h"

static uint64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void arm_in(struct hx_health *h, uint64_t ms) {
    struct itimerspec its = {.it_value = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)((ms % 1000) * 1000000)}};
    if (ms == 0) its.it_value.tv_nsec = 1;
    timerfd_settime(h->timerfd, 0, &its, NULL);
}

int hx_health_init(struct hx_health *h) {
    h->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    h->pid = 0;
    h->out_fd = -1;
    return h->timerfd < 0 ? -errno : 0;
}

static uint64_t next_delay(const struct hx_health *h) {
    int in_start = h->start_period_ms && now_ms() - h->started_ms < h->start_period_ms;
    return in_start && h->start_interval_ms ? h->start_interval_ms : h->interval_ms;
}

void hx_health_container_started(struct hx_health *h) {
    if (!h->enabled) return;
    h->started_ms = now_ms();
    h->status = HX_HEALTH_STARTING;
    h->streak = 0;
    arm_in(h, next_delay(h));
}

void hx_health_container_stopped(struct hx_health *h) {
    struct itimerspec off = {0};
    if (h->enabled) timerfd_settime(h->timerfd, 0, &off, NULL);
    if (h->pid > 0) kill(h->pid, SIGKILL); /* reaped by the monitor's loop */
}

/* The timer fired: start a probe, or (one is running) it has timed out. */
void hx_health_tick(struct hx_health *h) {
    uint64_t ticks;
    if (read(h->timerfd, &ticks, sizeof ticks) < 0) { /* spurious */ }
    if (h->pid > 0) {
        h->timed_out = 1;
        kill(h->pid, SIGKILL);
        return;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        arm_in(h, next_delay(h));
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execv(h->argv[0], h->argv);
        _exit(127);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        arm_in(h, next_delay(h));
        return;
    }
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    h->pid = pid;
    h->out_fd = p[0];
    h->out_len = 0;
    h->timed_out = 0;
    hx_rfc3339nano(h->probe_start, sizeof h->probe_start);
    arm_in(h, h->timeout_ms);
}

void hx_health_read(struct hx_health *h) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(h->out_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (n == 0 || errno != EAGAIN) {
                close(h->out_fd);
                h->out_fd = -1;
            }
            return;
        }
        size_t room = sizeof h->out - h->out_len;
        size_t take = (size_t)n < room ? (size_t)n : room; /* docker keeps the first 4096 bytes */
        memcpy(h->out + h->out_len, buf, take);
        h->out_len += take;
    }
}

/* The probe process PID ended with STATUS: record its result. */
int hx_health_reaped(struct hx_health *h, pid_t pid, int status, int container_running) {
    if (pid != h->pid) return 0;
    if (h->out_fd >= 0) {
        hx_health_read(h);
        if (h->out_fd >= 0) close(h->out_fd);
        h->out_fd = -1;
    }
    h->pid = 0;
    struct hx_health_result r;
    memset(&r, 0, sizeof r);
    snprintf(r.start, sizeof r.start, "%s", h->probe_start);
    hx_rfc3339nano(r.end, sizeof r.end);
    if (h->timed_out) {
        r.exit_code = -1;
        r.output_len = (size_t)snprintf(r.output, sizeof r.output, "Health check exceeded timeout (%llums)", (unsigned long long)h->timeout_ms);
    } else {
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        memcpy(r.output, h->out, h->out_len);
        r.output_len = h->out_len;
    }
    /* the last five, oldest first */
    if (h->nlog == HX_HEALTH_LOG) memmove(&h->log[0], &h->log[1], sizeof h->log[0] * (HX_HEALTH_LOG - 1));
    else h->nlog++;
    h->log[h->nlog - 1] = r;
    if (r.exit_code == 0) {
        h->streak = 0;
        h->status = HX_HEALTH_HEALTHY;
    } else {
        /* failures in the start period do not count while it is still starting */
        int in_start = h->status == HX_HEALTH_STARTING && h->start_period_ms && now_ms() - h->started_ms < h->start_period_ms;
        if (!in_start) {
            h->streak++;
            if (h->streak >= h->retries) h->status = HX_HEALTH_UNHEALTHY;
        }
    }
    if (container_running) arm_in(h, next_delay(h));
    return 1;
}

size_t hx_health_json(const struct hx_health *h, char *out, size_t cap) {
    static const char *names[] = {"starting", "healthy", "unhealthy"};
    if (!h->enabled) return 0;
    size_t o = (size_t)snprintf(out, cap, "{\"Status\":\"%s\",\"FailingStreak\":%d,\"Log\":[", names[h->status], h->streak);
    for (int i = 0; i < h->nlog && o + 64 < cap; i++) {
        const struct hx_health_result *r = &h->log[i];
        o += (size_t)snprintf(out + o, cap - o, "%s{\"Start\":\"%s\",\"End\":\"%s\",\"ExitCode\":%d,\"Output\":\"", i ? "," : "", r->start, r->end, r->exit_code);
        o += hx_json_escape(out + o, cap - o - 8, r->output, r->output_len);
        o += (size_t)snprintf(out + o, cap - o, "\"}");
    }
    o += (size_t)snprintf(out + o, cap - o, "]}");
    return o;
}
