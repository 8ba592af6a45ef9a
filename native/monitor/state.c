/* containers/<id>/state.json: what the monitor knows of the container, for the
 * TypeScript side (src/container/state.ts) to read: status, pids with their start times
 * (so a reused pid never looks alive), times, exit code, restart count. Replaced
 * atomically (write a temp file, rename). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "monitor.h"

int hx_state_write(const char *dir, const struct hx_state *s) {
    char tmp[4200], path[4200], err[1100];
    static char buf[160 * 1024]; /* five health results of 4 KiB each, escaped */
    snprintf(path, sizeof path, "%s/state.json", dir);
    snprintf(tmp, sizeof tmp, "%s/.state.json.%d.tmp", dir, getpid());
    size_t e = hx_json_escape(err, sizeof err - 1, s->error, strlen(s->error));
    err[e] = 0;
    int n = snprintf(buf, sizeof buf,
                     "{\"status\":\"%s\",\"pid\":%d,\"pidStart\":\"%llu\",\"owner\":{\"kind\":\"monitor\",\"pid\":%d,\"start\":\"%llu\"},"
                     "\"startedAt\":\"%s\",\"finishedAt\":\"%s\",\"exitCode\":%d,\"restartCount\":%d,\"oomKilled\":%s,\"error\":\"%s\",\"health\":%s}\n",
                     s->status, s->pid, (unsigned long long)s->pid_start, s->monitor_pid, (unsigned long long)s->monitor_start, s->started_at,
                     s->finished_at, s->exit_code, s->restart_count, s->oom_killed ? "true" : "false", err,
                     s->health_json && s->health_json[0] ? s->health_json : "null");
    if (n < 0 || (size_t)n >= sizeof buf) return -EOVERFLOW;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -errno;
    ssize_t w = write(fd, buf, (size_t)n);
    close(fd);
    if (w != n || rename(tmp, path) < 0) {
        unlink(tmp);
        return -EIO;
    }
    return 0;
}
