/* The attach socket: clients (`hx attach`, `hx start -a`, `hx run -d` then attach, `hx
 * stop`) connect to RUNDIR/attach and exchange frames (monitor.h). Output is sent to
 * every client that asked for it; a client that cannot keep up is disconnected rather
 * than allowed to stall the container or its log. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach.h"

int hx_attach_listen(struct hx_attach *a, const char *dir) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < HX_MAX_CLIENTS; i++) a->clients[i].fd = -1;
    /* bind relative to the directory: a socket path is limited to 107 bytes */
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return -errno;
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d/attach", dfd);
    unlink(proc);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0) {
        close(dfd);
        return -errno;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", proc);
    int r = bind(s, (struct sockaddr *)&addr, sizeof addr);
    int err = errno;
    close(dfd);
    if (r < 0 || listen(s, 16) < 0) {
        close(s);
        return -(r < 0 ? err : errno);
    }
    a->listen_fd = s;
    return 0;
}

void hx_attach_accept(struct hx_attach *a) {
    for (;;) {
        int fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0) return;
        int slot = -1;
        for (int i = 0; i < HX_MAX_CLIENTS; i++)
            if (a->clients[i].fd < 0) {
                slot = i;
                break;
            }
        if (slot < 0) {
            close(fd);
            continue;
        }
        int size = 1 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
        struct hx_client *c = &a->clients[slot];
        memset(c, 0, sizeof *c);
        c->fd = fd;
    }
}

void hx_attach_drop(struct hx_attach *a, int i) {
    struct hx_client *c = &a->clients[i];
    if (c->fd >= 0) close(c->fd);
    free(c->body);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

int hx_attach_send(struct hx_client *c, int type, const void *data, size_t len) {
    uint8_t head[8] = {(uint8_t)type, 0, 0, 0};
    uint32_t n = (uint32_t)len;
    memcpy(head + 4, &n, 4);
    struct iovec iov[2] = {{head, 8}, {(void *)data, len}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
    size_t want = 8 + len;
    ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    return w == (ssize_t)want ? 0 : -1; /* a short write: the client is too slow */
}

void hx_attach_broadcast(struct hx_attach *a, int type, const void *data, size_t len) {
    uint32_t need = type == HX_FR_STDERR ? HX_ATTACH_STDERR : type == HX_FR_STDOUT ? HX_ATTACH_STDOUT : 0;
    for (int i = 0; i < HX_MAX_CLIENTS; i++) {
        struct hx_client *c = &a->clients[i];
        if (c->fd < 0 || !c->hello || (need && !(c->flags & need))) continue;
        if (hx_attach_send(c, type, data, len) < 0) hx_attach_drop(a, i);
    }
}

/* Read what client I sent; complete frames go to CB. Returns -1 when it hung up. */
int hx_attach_read(struct hx_attach *a, int i, hx_frame_cb cb, void *ctx) {
    struct hx_client *c = &a->clients[i];
    uint8_t buf[65536];
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    if (n <= 0) {
        hx_attach_drop(a, i);
        return -1;
    }
    size_t off = 0;
    while (off < (size_t)n) {
        if (c->head_len < 8) {
            size_t take = 8 - c->head_len;
            if (take > (size_t)n - off) take = (size_t)n - off;
            memcpy(c->head + c->head_len, buf + off, take);
            c->head_len += take;
            off += take;
            if (c->head_len < 8) break;
            memcpy(&c->body_want, c->head + 4, 4);
            c->body_want &= 0xffffffffu;
            if (c->body_want > (1u << 20)) {
                hx_attach_drop(a, i);
                return -1;
            }
            c->body = c->body_want ? malloc(c->body_want) : NULL;
            c->body_len = 0;
        }
        size_t take = c->body_want - c->body_len;
        if (take > (size_t)n - off) take = (size_t)n - off;
        if (take) memcpy(c->body + c->body_len, buf + off, take);
        c->body_len += take;
        off += take;
        if (c->body_len == c->body_want) {
            if (c->head[0] == HX_FR_HELLO && c->body_len >= 4) {
                memcpy(&c->flags, c->body, 4);
                c->hello = 1;
            }
            cb(ctx, c, c->head[0], c->body, c->body_len);
            free(c->body);
            c->body = NULL;
            c->head_len = 0;
            c->body_len = c->body_want = 0;
            if (c->fd < 0) return -1; /* the callback dropped it */
        }
    }
    return 0;
}
