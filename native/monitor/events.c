/* The store's event log (src/store/events.ts): what the monitor sees happen to a detached
 * container — each start (restarts too), each exit, a change of health — appended as one
 * JSON line in moby's events.Message shape, in one O_APPEND write so lines from concurrent
 * writers never interleave. The starter passes the log's path and the actor's attributes
 * already JSON-encoded (--events, --event-from, --event-attrs). A failed write is dropped:
 * losing an event must never stop the container's supervision. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

void hx_event(const struct hx_events *ev, const char *action, const char *extra) {
    if (!ev->path) return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char act[256];
    size_t n = hx_json_escape(act, sizeof act - 1, action, strlen(action));
    act[n] = 0;
    static char line[16 * 1024];
    int len = snprintf(line, sizeof line,
                       "{\"status\":\"%s\",\"id\":\"%s\",\"from\":%s,\"Type\":\"container\",\"Action\":\"%s\",\"Actor\":{\"ID\":\"%s\",\"Attributes\":{%s%s%s}},"
                       "\"scope\":\"local\",\"time\":%lld,\"timeNano\":%lld%09ld}\n",
                       act, ev->id, ev->from, act, ev->id, ev->attrs, extra && extra[0] && ev->attrs[0] ? "," : "", extra ? extra : "",
                       (long long)ts.tv_sec, (long long)ts.tv_sec, ts.tv_nsec);
    if (len < 0 || (size_t)len >= sizeof line) return;
    int fd = open(ev->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return;
    if (write(fd, line, (size_t)len) < 0) { /* dropped, see above */ }
    close(fd);
}
