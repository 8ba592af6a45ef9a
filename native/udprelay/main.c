// hx-udprelay: a container's published UDP ports, relayed from the host into its network
// namespace (src/net/udprelay.ts starts it). pasta 2023-03 (Debian 12) splices UDP from the
// host's loopback into the namespace but loses the answers, so with pasta hx forwards UDP
// itself: this is what that splice should do.
//
//   hx-udprelay PID HOSTIP HOSTPORT CPORT [HOSTIP HOSTPORT CPORT]...   (fd 3: the namespace)
//
// PID is the container's first process: the relay ends when it does (a pidfd in its poll),
// so a relay whose hx was killed before recording it does not keep the ports.
// Every host socket is bound first, in the namespace the relay starts in (the host's); then
// it enters the container's namespace for good. A socket keeps the namespace it was made in,
// so each client's socket, made later, is the container's, connected to 127.0.0.1:CPORT, and
// what comes back on it goes to that client from the host socket. A client's socket is closed
// after 180 s without traffic (conntrack's UDP stream timeout); at most 1024 clients at once
// (the least recently active goes). "ready\n" on stdout once bound and entered; SIGTERM ends it.
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
#define IDLE_SECONDS 180

struct port {
  int fd;
  int container_port;
};

struct client {
  int fd; /* in the container's namespace; -1: free */
  int port;
  struct sockaddr_storage addr;
  socklen_t len;
  time_t last;
};

static struct port ports[MAX_PORTS];
static int nports;
static struct client clients[MAX_CLIENTS];
static unsigned char buf[65536];

static void die(const char *what, const char *arg) {
  fprintf(stderr, "hx-udprelay: %s%s%s: %s\n", what, arg ? " " : "", arg ? arg : "", strerror(errno));
  exit(1);
}

static time_t now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec;
}

static int same_client(const struct client *c, int port, const struct sockaddr_storage *a, socklen_t len) {
  if (c->fd < 0 || c->port != port || c->len != len || c->addr.ss_family != a->ss_family) return 0;
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *x = (const void *)&c->addr, *y = (const void *)a;
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  const struct sockaddr_in6 *x = (const void *)&c->addr, *y = (const void *)a;
  return x->sin6_port == y->sin6_port && memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

static void drop(struct client *c) {
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
    drop(c);
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return NULL;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)ports[port].container_port)};
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&to, sizeof to) != 0) {
    close(fd);
    return NULL;
  }
  c->fd = fd;
  c->port = port;
  memcpy(&c->addr, a, len);
  c->len = len;
  c->last = now();
  return c;
}

static int parse_port(const char *s) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 1 || v > 65535) {
    fprintf(stderr, "hx-udprelay: not a port: %s\n", s);
    exit(2);
  }
  return (int)v;
}

static int bind_host(const char *ip, int port) {
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
    fprintf(stderr, "hx-udprelay: not an address: %s\n", addr);
    exit(2);
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket", NULL);
  if (family == AF_INET6) {
    int one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  if (bind(fd, (struct sockaddr *)&sa, len) != 0) die("bind", addr);
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 5 || (argc - 2) % 3 != 0 || (argc - 2) / 3 > MAX_PORTS) {
    fprintf(stderr, "usage: hx-udprelay PID HOSTIP HOSTPORT CONTAINERPORT... (fd 3: the container's network namespace)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  char *end;
  long pid = strtol(argv[1], &end, 10);
  if (*end != '\0' || pid <= 0) {
    fprintf(stderr, "hx-udprelay: not a pid: %s\n", argv[1]);
    return 2;
  }
  /* no pidfd (a kernel before 5.3): the relay lives until it is stopped */
  int container = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
  for (int i = 2; i < argc; i += 3) {
    ports[nports].fd = bind_host(argv[i], parse_port(argv[i + 1]));
    ports[nports].container_port = parse_port(argv[i + 2]);
    nports++;
  }
  if (setns(3, CLONE_NEWNET) != 0) die("entering the container's network namespace", NULL);
  close(3);
  for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
  printf("ready\n");
  fflush(stdout);

  static struct pollfd pfd[MAX_PORTS + MAX_CLIENTS + 1];
  static int who[MAX_PORTS + MAX_CLIENTS + 1]; /* >= 0: a port; < 0: -(client + 1) */
  for (;;) {
    int n = 0;
    if (container >= 0) {
      pfd[n] = (struct pollfd){.fd = container, .events = POLLIN};
      who[n++] = MAX_PORTS; /* not a port: the container */
    }
    for (int i = 0; i < nports; i++) {
      pfd[n] = (struct pollfd){.fd = ports[i].fd, .events = POLLIN};
      who[n++] = i;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].fd < 0) continue;
      pfd[n] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
      who[n++] = -(i + 1);
    }
    int r = poll(pfd, (nfds_t)n, 1000);
    if (r < 0 && errno != EINTR) die("poll", NULL);
    time_t t = now();
    for (int k = 0; k < n && r > 0; k++) {
      if (!(pfd[k].revents & (POLLIN | POLLERR | POLLHUP))) continue;
      if (who[k] == MAX_PORTS) return 0; /* the container ended */
      if (who[k] >= 0) {
        int p = who[k];
        for (;;) {
          struct sockaddr_storage from;
          socklen_t flen = sizeof from;
          ssize_t got = recvfrom(ports[p].fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
          if (got < 0) break;
          struct client *c = client_for(p, &from, flen);
          if (!c) continue;
          c->last = t;
          (void)send(c->fd, buf, (size_t)got, 0);
        }
      } else {
        struct client *c = &clients[-who[k] - 1];
        if (c->fd < 0) continue;
        for (;;) {
          ssize_t got = recv(c->fd, buf, sizeof buf, 0);
          if (got < 0) {
            /* nothing listens in the container (ECONNREFUSED): the client's socket goes */
            if (errno != EAGAIN && errno != EWOULDBLOCK) drop(c);
            break;
          }
          c->last = t;
          (void)sendto(ports[c->port].fd, buf, (size_t)got, 0, (struct sockaddr *)&c->addr, c->len);
        }
      }
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      if (clients[i].fd >= 0 && t - clients[i].last > IDLE_SECONDS) drop(&clients[i]);
    }
  }
}
