/* libhxns stdio relay (relay.c): container pipes <-> hx's fds, on a thread of its own. */
#ifndef HX_RELAY_H
#define HX_RELAY_H
#include <stdint.h>

/* FDS: [hx stdin, container stdin pipe], [container stdout pipe, hx fd], [container stderr
 * pipe, hx fd]; a pair with a negative fd is not relayed. The pipe ends become the relay's
 * (closed by it); hx's fds stay the caller's. Returns 0 and the relay's id, or -errno. */
int hx_relay_start(const int32_t fds[6], int32_t *id);
/* After the container exited: move what the pipes still hold, stop, join. BYTES gets the
 * bytes moved per slot. */
int hx_relay_finish(int32_t id, uint64_t bytes[3]);

#endif
