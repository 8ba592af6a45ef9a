/* attach.c: the monitor's socket server (frames in monitor.h). */
#ifndef HX_ATTACH_H
#define HX_ATTACH_H
#include "monitor.h"

struct hx_attach {
    int listen_fd;
    struct hx_client clients[HX_MAX_CLIENTS];
};

typedef void (*hx_frame_cb)(void *ctx, struct hx_client *c, int type, const uint8_t *body, size_t len);

int hx_attach_listen(struct hx_attach *a, const char *dir);
void hx_attach_accept(struct hx_attach *a);
int hx_attach_read(struct hx_attach *a, int i, hx_frame_cb cb, void *ctx);
int hx_attach_send(struct hx_client *c, int type, const void *data, size_t len);
void hx_attach_broadcast(struct hx_attach *a, int type, const void *data, size_t len);
void hx_attach_drop(struct hx_attach *a, int i);
#endif
