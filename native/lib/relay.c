/* libhxns stdio relay: a container gets pipes of its own, never hx's file descriptors
 * (a terminal hx was given could be read or reconfigured through them, a file reopened
 * through /proc/self/fd). One thread per container moves the bytes between those pipes
 * and hx's own fds, so Node's event loop is not involved and a busy or blocked loop cannot
 * stall the container's output:
 *   - output: container pipe -> fd, with splice(2) (no copy through user space), falling
 *     back to read/write where the destination cannot splice (terminals);
 *   - input (-i): fd -> container pipe; the pipe end is non-blocking with a pending buffer,
 *     so a container that does not read its stdin never stops its output from flowing.
 * hx_relay_finish, called once the container has exited (every writer of the pipes is gone),
 * drains what is still buffered and joins the thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay.h"

#define CHUNK 65536
#define MAX_RELAYS 64

struct chan {
    int src, dst;
    int slot; /* 0 stdin, 1 stdout, 2 stderr */
    int input;
    int open;
    int splice_ok;
    /* input only: bytes read from the user but not yet taken by the container */
    char *pending;
    size_t pending_off, pending_len;
    uint64_t bytes;
};

struct relay {
    int used;
    pthread_t thread;
    int wake[2];
    struct chan ch[3];
    int nch;
    volatile int stopping;
};

static struct relay relays[MAX_RELAYS];
static pthread_mutex_t relays_lock = PTHREAD_MUTEX_INITIALIZER;

static void close_chan(struct chan *c) {
    if (!c->open) return;
    c->open = 0;
    /* The container's side of this channel: its pipe end. Closing it gives the container
     * EOF on stdin, or EPIPE on output nobody will read any more. */
    if (c->input) close(c->dst);
    else close(c->src);
    free(c->pending);
    c->pending = NULL;
}

/* Write all of BUF to a blocking-or-not FD (the user's; its flags are not ours to change). */
static int write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            poll(&p, 1, -1);
            continue;
        }
        if (n < 0) return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Move one chunk from a container pipe to its destination: >0 bytes, 0 at EOF,
 * -EAGAIN when the pipe is empty, other -errno when the destination failed. */
static ssize_t pump_output(struct chan *c) {
    if (c->splice_ok) {
        for (;;) {
            ssize_t n = splice(c->src, NULL, c->dst, NULL, CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
            if (n >= 0) {
                c->bytes += (uint64_t)n;
                return n;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN) {
                /* an empty pipe, or a non-blocking destination that is full */
                struct pollfd p[2] = {{.fd = c->src, .events = POLLIN}, {.fd = c->dst, .events = POLLOUT}};
                poll(p, 2, 0);
                if (!(p[0].revents & (POLLIN | POLLHUP))) return -EAGAIN;
                if (!(p[1].revents & POLLOUT)) {
                    poll(&p[1], 1, -1);
                    continue;
                }
                return -EAGAIN;
            }
            if (errno == EINVAL || errno == ENOSYS) {
                c->splice_ok = 0; /* a terminal, or an fd splice does not support */
                break;
            }
            return -errno;
        }
    }
    static __thread char buf[CHUNK];
    for (;;) {
        ssize_t n = read(c->src, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -errno;
        if (n == 0) return 0;
        int r = write_all(c->dst, buf, (size_t)n);
        if (r < 0) return r;
        c->bytes += (uint64_t)n;
        return n;
    }
}

/* The user's input to the container. While a chunk is pending only the pipe is polled
 * (REVENTS are its), otherwise only the user's fd: nothing more is read than the
 * container takes. */
static void pump_input(struct chan *c, short revents) {
    if (c->pending_len == 0) {
        if (!(revents & (POLLIN | POLLHUP | POLLERR))) return;
        ssize_t n;
        do n = read(c->src, c->pending, CHUNK);
        while (n < 0 && errno == EINTR);
        if (n < 0 && errno == EAGAIN) return;
        if (n <= 0) {
            close_chan(c); /* EOF (or an error) on hx's stdin: the container sees EOF */
            return;
        }
        c->pending_off = 0;
        c->pending_len = (size_t)n;
    }
    ssize_t n = write(c->dst, c->pending + c->pending_off, c->pending_len);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) {
        close_chan(c); /* the container closed its stdin */
        return;
    }
    c->bytes += (uint64_t)n;
    c->pending_off += (size_t)n;
    c->pending_len -= (size_t)n;
}

static void *relay_main(void *arg) {
    struct relay *r = arg;
    struct pollfd p[1 + 3];
    int who[1 + 3];
    for (;;) {
        if (r->stopping) {
            /* The container is gone: what its pipes still hold is all there will be. */
            for (int i = 0; i < r->nch; i++) {
                struct chan *c = &r->ch[i];
                if (c->open && !c->input)
                    while (pump_output(c) > 0) {
                    }
                close_chan(c);
            }
            return NULL;
        }
        int n = 0;
        p[n] = (struct pollfd){.fd = r->wake[0], .events = POLLIN};
        who[n++] = -1;
        for (int i = 0; i < r->nch; i++) {
            struct chan *c = &r->ch[i];
            if (!c->open) continue;
            if (!c->input) p[n] = (struct pollfd){.fd = c->src, .events = POLLIN};
            else if (c->pending_len == 0) p[n] = (struct pollfd){.fd = c->src, .events = POLLIN};
            else p[n] = (struct pollfd){.fd = c->dst, .events = POLLOUT};
            who[n++] = i;
        }
        if (poll(p, (nfds_t)n, -1) < 0) continue;
        for (int k = 1; k < n; k++) {
            if (!p[k].revents) continue;
            struct chan *c = &r->ch[who[k]];
            if (!c->open) continue;
            if (c->input) {
                pump_input(c, p[k].revents);
                continue;
            }
            ssize_t got = pump_output(c);
            if (got == 0 || (got < 0 && got != -EAGAIN)) close_chan(c);
        }
        if (p[0].revents) {
            char b[16];
            while (read(r->wake[0], b, sizeof b) > 0) {
            }
        }
    }
}

int hx_relay_start(const int32_t fds[6], int32_t *id_out) {
    pthread_mutex_lock(&relays_lock);
    int id = -1;
    for (int i = 0; i < MAX_RELAYS; i++)
        if (!relays[i].used) {
            id = i;
            break;
        }
    if (id < 0) {
        pthread_mutex_unlock(&relays_lock);
        return -EMFILE;
    }
    struct relay *r = &relays[id];
    memset(r, 0, sizeof *r);
    r->used = 1;
    pthread_mutex_unlock(&relays_lock);
    if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK) < 0) {
        int err = errno;
        r->used = 0;
        return -err;
    }
    /* fds: [user stdin, container stdin pipe], [stdout pipe, user fd], [stderr pipe, user fd] */
    for (int i = 0; i < 3; i++) {
        int src = fds[2 * i], dst = fds[2 * i + 1];
        if (src < 0 || dst < 0) continue;
        struct chan *c = &r->ch[r->nch++];
        c->slot = i;
        c->src = src;
        c->dst = dst;
        c->input = i == 0;
        c->open = 1;
        c->splice_ok = 1;
        int pipe_end = c->input ? dst : src;
        int fl = fcntl(pipe_end, F_GETFL);
        if (fl >= 0) fcntl(pipe_end, F_SETFL, fl | O_NONBLOCK);
        if (c->input && !(c->pending = malloc(CHUNK))) {
            close(r->wake[0]);
            close(r->wake[1]);
            r->used = 0;
            return -ENOMEM;
        }
    }
    /* The thread must never take a signal meant for Node: start it with all blocked. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&r->thread, NULL, relay_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        for (int i = 0; i < r->nch; i++) free(r->ch[i].pending);
        close(r->wake[0]);
        close(r->wake[1]);
        r->used = 0;
        return -e;
    }
    *id_out = id;
    return 0;
}

int hx_relay_finish(int32_t id, uint64_t bytes[3]) {
    if (id < 0 || id >= MAX_RELAYS || !relays[id].used) return -ESRCH;
    struct relay *r = &relays[id];
    r->stopping = 1;
    char one = 1;
    if (write(r->wake[1], &one, 1) < 0) { /* the pipe is full: the thread is awake anyway */ }
    pthread_join(r->thread, NULL);
    for (int i = 0; i < 3; i++) bytes[i] = 0;
    for (int i = 0; i < r->nch; i++) bytes[r->ch[i].slot] = r->ch[i].bytes;
    close(r->wake[0]);
    close(r->wake[1]);
    pthread_mutex_lock(&relays_lock);
    r->used = 0;
    pthread_mutex_unlock(&relays_lock);
    return 0;
}
