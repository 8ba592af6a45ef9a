// hx-portrelay: published ports of a container relayed from the host into its network
// namespace, where no helper does it (src/net/portrelay.ts starts it): UDP with pasta 2023-03
// (Debian 12), which splices UDP from the host's loopback into the namespace but loses the
// answers; and TCP and UDP on IPv6 host addresses where the container has IPv4 only
// (slirp4netns 1.2 forwards IPv4 host addresses only; rootful DNAT cannot turn IPv6 into
// IPv4), docker-proxy's job.
//
//   hx-portrelay PID PROTO HOSTIP HOSTPORT CPORT [PROTO HOSTIP HOSTPORT CPORT]...
//                (fd 3: the container's network namespace; PROTO tcp or udp)
//
// Every host socket is bound first, in the namespace the relay starts in (the host's); then
// it enters the container's namespace for good. A socket keeps the namespace it was made in,
// so what the relay opens later is the container's: a TCP connection to 127.0.0.1:CPORT per
// accepted client, a UDP socket connected to it per client address (closed after 180 s idle,
// conntrack's UDP stream timeout). At most 1024 of each (a UDP client least recently active
// goes; a TCP client waits in the backlog). The container sees 127.0.0.1 as every client.
// PID is the container's first process: the relay ends when it does (a pidfd in its poll), so
// one whose hx was killed before recording it does not keep the ports. "ready\n" on stdout
// once bound and entered; SIGTERM ends it.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_PORTS 64
#define MAX_CLIENTS 1024
#define MAX_CONNS 1024
#define IDLE_SECONDS 180
#define BUF 65536

struct port {
  int fd;
  int tcp;
  int container_port;
};

struct client { /* UDP */
  int fd;       /* in the container's namespace; -1: free */
  int port;
  struct sockaddr_storage addr;
  socklen_t len;
  time_t last;
};

struct half { /* one direction of a TCP connection: read from one end, written to the other */
  unsigned char *buf;
  size_t len, off;
  int eof;      /* its reading end said EOF (shutdown sent once drained) */
};

struct conn { /* TCP */
  int host, cont; /* -1: free */
  int connecting;
  struct half up, down; /* up: host -> container; down: container -> host */
};

static struct port ports[MAX_PORTS];
static int nports;
static struct client clients[MAX_CLIENTS];
static struct conn conns[MAX_CONNS];
static unsigned char buf[BUF];

static void die(const char *what, const char *arg) {
  fprintf(stderr, "hx-portrelay: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  exit(1);
}

static time_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

/* A socket in the container's namespace to 127.0.0.1:PORT (TCP: the connect is in progress). */
static int container_socket(int tcp, int port) {
  int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0 && errno != EINPROGRESS) {
    close(fd);
    return -1;
  }
  return fd;
}

/* ---- UDP ---- */

static int same_client(const struct client *c, int port, const struct sockaddr_storage *a, socklen_t len) {
  if (c->fd < 0 || c->port != port || c->len != len || c->addr.ss_family != a->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)&c->addr, *y = (const void *)a;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)&c->addr, *y = (const void *)a;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

static void drop_client(struct client *c) {
  close(c->fd);
  c->fd = -1;
}

/* The client's socket in the container's namespace (made on its first datagram). */
static struct client *client_for(int port, const struct sockaddr_storage *a, socklen_t len) {
  struct client *free_slot = NULL, *oldest = NULL;
  for (int i = 0; i < MAX_CLIENTS; i++) {
    struct client *c = &clients[i];
    if (same_client(c, port, a, len)) return c;
    if (c->fd < 0) {
      if (!free_slot) free_slot = c;
    } else if (!oldest || c->last < oldest->last) {
      oldest = c;
    }
  }
  struct client *c = free_slot;
  if (!c) {
    c = oldest;
    drop_client(c);
  }
  int fd = container_socket(0, ports[port].container_port);
  if (fd < 0) return NULL;
  c->fd = fd;
  c->port = port;
  memcpy(&c->addr, a, len);
  c->len = len;
  c->last = now();
  return c;
}

static void udp_from_host(int p, time_t t) {
  for (;;) {
    struct sockaddr_storage from;
    socklen_t flen = sizeof from;
    ssize_t got = recvfrom(ports[p].fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    if (got < 0) return;
    struct client *c = client_for(p, &from, flen);
    if (!c) continue;
    c->last = t;
    (void)send(c->fd, buf, (size_t)got, 0);
  }
}

static void udp_from_container(struct client *c, time_t t) {
  for (;;) {
    ssize_t got = recv(c->fd, buf, sizeof buf, 0);
    if (got < 0) {
      /* nothing listens in the container (ECONNREFUSED): the client's socket goes */
      if (errno != EAGAIN && errno != EWOULDBLOCK) drop_client(c);
      return;
    }
    c->last = t;
    (void)sendto(ports[c->port].fd, buf, (size_t)got, 0, (struct sockaddr *)&c->addr, c->len);
  }
}

/* ---- TCP ---- */

static void drop_conn(struct conn *c) {
  close(c->host);
  close(c->cont);
  free(c->up.buf);
  free(c->down.buf);
  memset(c, 0, sizeof *c);
  c->host = c->cont = -1;
}

static void tcp_accept(int p) {
  for (;;) {
    struct conn *c = NULL;
    for (int i = 0; i < MAX_CONNS && !c; i++) if (conns[i].host < 0) c = &conns[i];
    if (!c) return; /* full: the rest wait in the backlog */
    int h = accept4(ports[p].fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (h < 0) return;
    int k = container_socket(1, ports[p].container_port);
    unsigned char *up = malloc(BUF), *down = malloc(BUF);
    if (k < 0 || !up || !down) {
      close(h);
      if (k >= 0) close(k);
      free(up);
      free(down);
      continue;
    }
    *c = (struct conn){.host = h, .cont = k, .connecting = 1, .up = {.buf = up}, .down = {.buf = down}};
  }
}

/* Move what H holds from FROM to TO: read when empty, write what is held; 0: the connection ends. */
static int pump(struct half *h, int from, int to, short rev_from, short rev_to) {
  if (h->len == 0 && !h->eof && (rev_from & (POLLIN | POLLHUP | POLLERR))) {
    ssize_t got = read(from, h->buf, BUF);
    if (got > 0) {
      h->len = (size_t)got;
      h->off = 0;
    } else if (got == 0) {
      h->eof = 1;
      shutdown(to, SHUT_WR);
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return 0;
    }
  }
  if (h->len > 0 && (rev_to & POLLOUT || h->off == 0)) {
    ssize_t put = write(to, h->buf + h->off, h->len);
    if (put > 0) {
      h->off += (size_t)put;
      h->len -= (size_t)put;
    } else if (put < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return 0;
    }
  }
  return 1;
}

static short wants(const struct half *from_side, const struct half *to_side) {
  /* the events an end waits for: reading into its outgoing half, writing its incoming one */
  return (short)((from_side->len == 0 && !from_side->eof ? POLLIN : 0) | (to_side->len > 0 ? POLLOUT : 0));
}

/* ---- setup ---- */

static int parse_port(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 1 || v > 65535) {
    fprintf(stderr, "hx-portrelay: not a port: %s\n", s);
    exit(2);
  }
  return (int)v;
}

static int bind_host(int tcp, const char *ip, int port) {
  struct sockaddr_storage sa;
  memset(&sa, 0, sizeof sa);
  socklen_t len;
  int family;
  struct sockaddr_in *v4 = (void *)&sa;
  struct sockaddr_in6 *v6 = (void *)&sa;
  const char *addr = *ip ? ip : "0.0.0.0";
  if (inet_pton(AF_INET, addr, &v4->sin_addr) == 1) {
    family = AF_INET;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((unsigned short)port);
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, addr, &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((unsigned short)port);
    len = sizeof *v6;
  } else {
    fprintf(stderr, "hx-portrelay: not an address: %s\n", addr);
    exit(2);
  }
  int fd = socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", NULL);
  int one = 1;
  if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (tcp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&sa, len) != 0) die("bind", addr);
  if (tcp && listen(fd, 128) != 0) die("listen", addr);
  return fd;
}

enum { W_CONTAINER = -1 }; /* who[]: >= 0 a port; W_CONTAINER; <= -2 a UDP client; >= MAX_PORTS a TCP conn */

int main(int argc, char **argv) {
  if (argc < 6 || (argc - 2) % 4 != 0 || (argc - 2) / 4 > MAX_PORTS) {
    fprintf(stderr, "usage: hx-portrelay PID PROTO HOSTIP HOSTPORT CONTAINERPORT... (fd 3: the container's network namespace)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  char *end;
  long pid = strtol(argv[1], &end, 10);
  if (*end != '\0' || pid <= 0) {
    fprintf(stderr, "hx-portrelay: not a pid: %s\n", argv[1]);
    return 2;
  }
  /* no pidfd (a kernel before 5.3): the relay lives until it is stopped */
  int container = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  for (int i = 2; i < argc; i += 4) {
    int tcp = strcmp(argv[i], "tcp") == 0;
    if (!tcp && strcmp(argv[i], "udp") != 0) {
      fprintf(stderr, "hx-portrelay: not tcp or udp: %s\n", argv[i]);
      return 2;
    }
    ports[nports].tcp = tcp;
    ports[nports].fd = bind_host(tcp, argv[i + 1], parse_port(argv[i + 2]));
    ports[nports].container_port = parse_port(argv[i + 3]);
    nports++;
  }
  if (setns(3, CLONE_NEWNET) != 0) die("entering the container's network namespace", NULL);
  close(3);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  for (int i = 0; i < MAX_CONNS; i++) conns[i].host = conns[i].cont = -1;
  printf("ready\n");
  fflush(stdout);

  static struct pollfd pfd[1 + MAX_PORTS + MAX_CLIENTS + 2 * MAX_CONNS];
  static int who[1 + MAX_PORTS + MAX_CLIENTS + 2 * MAX_CONNS];
  for (;;) {
    int n = 0, full = 1;
    for (int i = 0; i < MAX_CONNS && full; i++) if (conns[i].host < 0) full = 0;
    if (container >= 0) {
      pfd[n] = (struct pollfd){.fd = container, .events = POLLIN};
      who[n++] = W_CONTAINER;
    }
    for (int i = 0; i < nports; i++) {
      /* no room for a TCP connection: the listener's clients wait in its backlog */
      pfd[n] = (struct pollfd){.fd = ports[i].fd, .events = ports[i].tcp && full ? 0 : POLLIN};
      who[n++] = i;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].fd < 0) continue;
      pfd[n] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
      who[n++] = -2 - i;
    }
    for (int i = 0; i < MAX_CONNS; i++) {
      struct conn *c = &conns[i];
      if (c->host < 0) continue;
      /* the host end, then the container end (POLLOUT alone while the connect is in progress) */
      pfd[n] = (struct pollfd){.fd = c->host, .events = c->connecting ? 0 : wants(&c->up, &c->down)};
      who[n++] = MAX_PORTS + i;
      pfd[n] = (struct pollfd){.fd = c->cont, .events = c->connecting ? POLLOUT : wants(&c->down, &c->up)};
      who[n++] = MAX_PORTS + i;
    }
    int r = poll(pfd, (nfds_t)n, 1000);
    if (r < 0 && errno != EINTR) die("poll", NULL);
    time_t t = now();
    for (int k = 0; k < n && r > 0; k++) {
      short rev = pfd[k].revents;
      int w = who[k];
      if (w >= MAX_PORTS) {
        /* a TCP connection's two entries are handled together, at the first */
        struct conn *c = &conns[w - MAX_PORTS];
        short rh = rev, rc = pfd[k + 1].revents;
        k++;
        if (c->host < 0 || !(rh | rc)) continue;
        if (c->connecting) {
          if (!(rc & (POLLOUT | POLLERR | POLLHUP))) continue;
          int err = 0;
          socklen_t el = sizeof err;
          if (getsockopt(c->cont, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0) {
            drop_conn(c); /* nothing listens in the container: the client sees the close */
            continue;
          }
          c->connecting = 0;
          continue;
        }
        if (!pump(&c->up, c->host, c->cont, rh, rc) || !pump(&c->down, c->cont, c->host, rc, rh) || (c->up.eof && c->down.eof && !c->up.len && !c->down.len)) drop_conn(c);
        continue;
      }
      if (!(rev & (POLLIN | POLLERR | POLLHUP))) continue;
      if (w == W_CONTAINER) return 0; /* the container ended */
      if (w >= 0) {
        if (ports[w].tcp) tcp_accept(w);
        else udp_from_host(w, t);
      } else {
        struct client *c = &clients[-2 - w];
        if (c->fd >= 0) udp_from_container(c, t);
      }
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].fd >= 0 && t - clients[i].last > IDLE_SECONDS) drop_client(&clients[i]);
    }
  }
}
