/* health.c: the monitor's health checks (moby's semantics). */
#ifndef HX_HEALTH_H
#define HX_HEALTH_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "monitor.h"

#define HX_HEALTH_LOG 5
#define HX_HEALTH_OUTPUT 4096

enum hx_health_status { HX_HEALTH_STARTING, HX_HEALTH_HEALTHY, HX_HEALTH_UNHEALTHY };

struct hx_health_result {
    char start[40], end[40];
    int exit_code;
    char output[HX_HEALTH_OUTPUT];
    size_t output_len;
};

struct hx_health {
    int enabled;
    uint64_t interval_ms, timeout_ms, start_period_ms, start_interval_ms;
    int retries;
    char **argv; /* the probe: hx container __healthcheck ID */
    int timerfd;
    uint64_t started_ms;
    enum hx_health_status status;
    int streak;
    /* the probe running now */
    pid_t pid;
    int out_fd;
    int timed_out;
    char probe_start[40];
    char out[HX_HEALTH_OUTPUT];
    size_t out_len;
    struct hx_health_result log[HX_HEALTH_LOG];
    int nlog;
};

int hx_health_init(struct hx_health *h);
void hx_health_container_started(struct hx_health *h);
void hx_health_container_stopped(struct hx_health *h);
void hx_health_tick(struct hx_health *h);
void hx_health_read(struct hx_health *h);
/* 1 when PID was the probe (its result is recorded), 0 otherwise */
int hx_health_reaped(struct hx_health *h, pid_t pid, int status, int container_running);
/* State.Health as JSON into OUT (0 bytes when health checks are off) */
size_t hx_health_json(const struct hx_health *h, char *out, size_t cap);
#endif
