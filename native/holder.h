/* The rootless namespace holder and the probes that share its binary (see launcher.c). */
#ifndef HX_HOLDER_H
#define HX_HOLDER_H
#include <stddef.h>
#include <sys/types.h>

/* $HX_RUNTIME_DIR, else $XDG_RUNTIME_DIR/hx when that dir is ours, else /tmp/hx-UID;
 * src/runtime/paths.ts computes the same. */
int hx_runtime_dir(char *out, size_t len);
/* The holder pid recorded in DIR/holder.pid if that process is really our holder, else -1. */
pid_t hx_holder_read_valid(const char *dir);
int hx_holder_main(void);
int hx_probe_userns(void);
int hx_probe_overlay(const char *dir);
#endif
