/* The detached-container monitor (`hx __monitor`, conmon's job): the container's parent
 * and subreaper, the owner of its stdio or pty, the writer of its json-file log and of
 * its state file, the server of attach connections, and the keeper of its restart
 * policy. Split by concern as conmon is: main.c (arguments, daemonizing, spawn, event
 * loop, exit and restart), logs.c, attach.c, state.c. Small and single-threaded: it runs
 * for as long as the container does, so its memory is what an idle container costs. */
#ifndef HX_MONITOR_H
#define HX_MONITOR_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "../lib/procstat.h"

int hx_monitor_main(int argc, char **argv);

/* ---- logs.c: docker's json-file format, one record per line, with rotation ---- */
struct hx_log {
    int fd;
    char path[4096];
    uint64_t size, max_size; /* max_size 0: no rotation */
    int max_files;
    /* a line being collected per stream (docker splits lines at 16 KiB) */
    char partial[2][16384];
    size_t partial_len[2];
};
int hx_log_open(struct hx_log *l, const char *path, uint64_t max_size, int max_files);
/* Bytes the container wrote on STREAM (1 stdout, 2 stderr). */
void hx_log_write(struct hx_log *l, int stream, const char *data, size_t len);
/* The stream ended: a last line without a newline is written as it is. */
void hx_log_flush(struct hx_log *l, int stream);
/* RFC 3339 with nanoseconds, trailing zeros trimmed (Go's RFC3339Nano), UTC. */
void hx_rfc3339nano(char *out, size_t cap);

/* ---- attach.c: the unix socket clients attach through ----
 * Frames both ways: u8 type, u8 zero, u16 zero, u32 length, payload. */
enum hx_frame {
    HX_FR_STDIN = 1,   /* client -> monitor: bytes for the container's stdin */
    HX_FR_STDIN_EOF,   /* client -> monitor: close the container's stdin */
    HX_FR_RESIZE,      /* client -> monitor: u16 rows, u16 cols (a -t container) */
    HX_FR_STOP,        /* client -> monitor: u32 signal, u32 timeout seconds (then SIGKILL) */
    HX_FR_KILL,        /* client -> monitor: u32 signal, u32 1 when it stops the container for good (no restart) */
    HX_FR_HELLO,       /* client -> monitor: u32 flags (HX_ATTACH_*) */
    HX_FR_STDOUT = 16, /* monitor -> client */
    HX_FR_STDERR,      /* monitor -> client */
    HX_FR_EXIT,        /* monitor -> client: i32 docker exit code (the container stopped) */
    HX_FR_ACK,         /* monitor -> client: u32 0 or errno */
};
enum hx_attach_flags { HX_ATTACH_STDIN = 1, HX_ATTACH_STDOUT = 2, HX_ATTACH_STDERR = 4 };

#define HX_MAX_CLIENTS 32
struct hx_client {
    int fd;
    uint32_t flags;
    int hello;
    /* a frame being read */
    uint8_t head[8];
    size_t head_len;
    uint8_t *body;
    size_t body_len, body_want;
};

/* ---- state.c: containers/<id>/state.json, read by the TypeScript side ---- */
struct hx_state {
    const char *status; /* created running restarting exited dead */
    pid_t pid;
    uint64_t pid_start;
    pid_t monitor_pid;
    uint64_t monitor_start;
    char started_at[40], finished_at[40];
    int exit_code;
    int restart_count;
    int oom_killed;
    char error[512];
    /* State.Health as JSON (NULL or "": no health check) */
    const char *health_json;
};
int hx_state_write(const char *dir, const struct hx_state *s);

/* ---- events.c: lines of the store's event log (src/store/events.ts) ---- */
struct hx_events {
    const char *path;  /* NULL: no events */
    const char *id;    /* the container's 64-hex ID */
    const char *from;  /* the image as a JSON string, quotes included */
    const char *attrs; /* the actor's attributes as JSON members, without the braces */
};
/* EXTRA: more members (e.g. "exitCode":"0"), or NULL */
void hx_event(const struct hx_events *ev, const char *action, const char *extra);

/* JSON string body of DATA (no quotes) as Go's encoder writes it: " \ and control
 * characters escaped, <>& as \u003c.., invalid UTF-8 as \ufffd. Returns bytes written. */
size_t hx_json_escape(char *out, size_t cap, const char *data, size_t len);
#endif
