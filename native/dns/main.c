// hx-dns: the embedded DNS responder of one user network (podman's aardvark-dns, docker's
// embedded DNS), started by hx inside the network namespace that holds the network's
// bridge, listening on the gateway address, UDP and TCP port 53.
//
//   hx-dns ADDRESS NAMES_FILE [UPSTREAM...]
//
// NAMES_FILE holds lines of three kinds (written by src/net/dns.ts; unknown lines are
// skipped, so an older hx-dns reads a newer file and the other way round):
//   IP NAME [NAME...]     a running container of the network: names, short ID, aliases
//   dns CLIENT [UP...]    the client CLIENT (its address on this network) has its own
//                         upstreams (its --dns): they replace the default ones (none left
//                         that is IPv4: nothing is forwarded for it)
//   also CLIENT PATH      CLIENT is on another network too, whose names file is PATH
// hx replaces it by rename whenever a container connects, disconnects, starts or stops;
// this program reloads it when its inode, mtime or size changes (checked on every turn of
// the loop, at least every second). It exits when the file is gone: removing it is how hx,
// or its sweep after a crash, stops it even without its pid.
//
// A container on two networks asks the responder of its first network only (its
// resolv.conf names that gateway), so that responder must know the second network's names,
// for that client only. Design: the client's `also` line names the other network's file and
// this program reads it (reloaded the same way, a missing one is empty) when that client
// asks. The other way (copying B's names into A's file, scoped to the client) would make hx
// rewrite A's file on every change on B; with a path, A's file changes only when a client's
// own set of networks does, and B's names stay in one file. Clients on A only have no
// `also` line, so B's names never reach them.
//
// Answers: A for known names (own network first, then the client's other networks; AAAA:
// none, NOERROR), PTR for their addresses. A single label that is not known: NXDOMAIN (it
// would be a container name; never sent out). Reverse names of private and documentation
// ranges (RFC 6303's locally served zones): NXDOMAIN when unknown. Any other name is
// forwarded to the client's upstreams over UDP (whatever the client's transport: upstreams
// need not speak TCP) with a fresh random ID on a socket of its own, 2 s per upstream, then
// the next, then SERVFAIL; the answer is relayed unchanged but for the ID. A truncated one
// (TC) goes to a UDP client as it is (it retries over TCP); for a TCP client the same
// upstream is asked again over TCP, and the truncated answer relayed if that fails.
// TCP: length-prefixed messages (RFC 1035 4.2.2, RFC 7766), several per connection,
// answered in the order they complete; at most MAX_CONNS connections, dropped when idle for
// IDLE_MS or when the client does not read its answers. One thread, nonblocking sockets,
// one poll: no client or upstream can hold up another.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_NAME 256
#define MAX_UPSTREAMS 8
#define MAX_CLIENTS 4096
#define MAX_ALSO 8
#define MAX_PEERS 64
#define MAX_PENDING 256
#define MAX_CONNS 16
#define UPSTREAM_TIMEOUT_MS 2000
#define IDLE_MS 10000
#define MAX_OUT (256 * 1024)
#define MAX_MSG 65535

struct entry {
  char name[MAX_NAME];
  struct in_addr addr;
};

// One names file: the own one (with its directives) or another network's.
struct table {
  char path[PATH_MAX];
  struct entry *v;
  int n, cap;
  struct stat st;
  int loaded;
};

struct client {
  struct in_addr addr;
  int own_upstreams; // a `dns` line: its upstreams replace the defaults
  int n_up;
  struct in_addr up[MAX_UPSTREAMS];
  int n_also;
  int also[MAX_ALSO]; // indexes into peers
};

static struct in_addr listen_addr;
static struct table own;
static struct table peers[MAX_PEERS];
static int n_peers;
static struct client clients[MAX_CLIENTS];
static int n_clients;
static struct in_addr default_up[MAX_UPSTREAMS];
static int n_default_up;

static long long now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

static void add_entry(struct table *t, const char *name, struct in_addr a) {
  if (strlen(name) >= MAX_NAME) return;
  if (t->n == t->cap) {
    int cap = t->cap ? t->cap * 2 : 64;
    struct entry *v = realloc(t->v, (size_t)cap * sizeof *v);
    if (!v) return;
    t->v = v;
    t->cap = cap;
  }
  strcpy(t->v[t->n].name, name);
  lower(t->v[t->n].name);
  t->v[t->n].addr = a;
  t->n++;
}

static struct client *client_of(struct in_addr a, int create) {
  for (int i = 0; i < n_clients; i++)
    if (clients[i].addr.s_addr == a.s_addr) return &clients[i];
  if (!create || n_clients == MAX_CLIENTS) return NULL;
  struct client *c = &clients[n_clients++];
  memset(c, 0, sizeof *c);
  c->addr = a;
  return c;
}

static int peer_index(const char *path) {
  for (int i = 0; i < n_peers; i++)
    if (strcmp(peers[i].path, path) == 0) return i;
  if (n_peers == MAX_PEERS || strlen(path) >= PATH_MAX) return -1;
  struct table *t = &peers[n_peers];
  t->n = 0;
  t->loaded = 0;
  strcpy(t->path, path);
  return n_peers++;
}

static void directive(char *kw, char *rest) {
  char *save = NULL;
  char *ip = strtok_r(rest, " \t\r\n", &save);
  struct in_addr a;
  if (!ip || inet_pton(AF_INET, ip, &a) != 1) return;
  struct client *c = client_of(a, 1);
  if (!c) return;
  if (strcmp(kw, "dns") == 0) {
    c->own_upstreams = 1;
    for (char *u = strtok_r(NULL, " \t\r\n", &save); u && c->n_up < MAX_UPSTREAMS; u = strtok_r(NULL, " \t\r\n", &save)) {
      struct in_addr ua;
      // IPv4 only; never ourselves (a loop)
      if (inet_pton(AF_INET, u, &ua) == 1 && ua.s_addr != listen_addr.s_addr) c->up[c->n_up++] = ua;
    }
  } else if (strcmp(kw, "also") == 0) {
    char *path = save ? save + strspn(save, " \t") : NULL;
    if (!path || !*path) return;
    path[strcspn(path, "\r\n")] = 0;
    int p = peer_index(path);
    if (p >= 0 && c->n_also < MAX_ALSO) c->also[c->n_also++] = p;
  }
}

// Reload T if its file changed. 0 when it is gone (an empty table), 1 otherwise.
static int load(struct table *t, int with_directives) {
  struct stat st;
  if (stat(t->path, &st) < 0) {
    if (errno != ENOENT) return 1;
    t->n = 0;
    t->loaded = 0;
    return 0;
  }
  if (t->loaded && st.st_ino == t->st.st_ino && st.st_mtim.tv_sec == t->st.st_mtim.tv_sec && st.st_mtim.tv_nsec == t->st.st_mtim.tv_nsec && st.st_size == t->st.st_size) return 1;
  FILE *f = fopen(t->path, "r");
  if (!f) {
    if (errno != ENOENT) return 1;
    t->n = 0;
    t->loaded = 0;
    return 0;
  }
  t->n = 0;
  if (with_directives) {
    n_clients = 0;
    n_peers = 0;
  }
  char line[8192];
  while (fgets(line, sizeof line, f)) {
    char *save = NULL;
    char *first = strtok_r(line, " \t\r\n", &save);
    struct in_addr a;
    if (!first) continue;
    if (inet_pton(AF_INET, first, &a) != 1) {
      if (with_directives && save) directive(first, save);
      continue;
    }
    for (char *n = strtok_r(NULL, " \t\r\n", &save); n; n = strtok_r(NULL, " \t\r\n", &save)) add_entry(t, n, a);
  }
  fclose(f);
  t->st = st;
  t->loaded = 1;
  return 1;
}

// The question's name as dotted text (lower case, no trailing dot); its end offset, or -1.
static int read_qname(const unsigned char *msg, int len, int off, char *out) {
  int o = 0;
  while (off < len) {
    int l = msg[off++];
    if (l == 0) {
      out[o] = 0;
      return off;
    }
    if ((l & 0xc0) || off + l > len || o + l + 2 > MAX_NAME) return -1;
    if (o) out[o++] = '.';
    for (int i = 0; i < l; i++) out[o++] = (char)tolower(msg[off + i]);
    off += l;
  }
  return -1;
}

static int put16(unsigned char *p, int off, unsigned v) {
  p[off] = (unsigned char)(v >> 8);
  p[off + 1] = (unsigned char)v;
  return off + 2;
}

static int put32(unsigned char *p, int off, unsigned long v) {
  off = put16(p, off, (unsigned)(v >> 16));
  return put16(p, off, (unsigned)(v & 0xffff));
}

// NAME as DNS labels at OFF; the new offset (-1 if it does not fit).
static int put_name(unsigned char *p, int off, int cap, const char *name) {
  const char *s = name;
  while (*s) {
    const char *dot = strchr(s, '.');
    int l = dot ? (int)(dot - s) : (int)strlen(s);
    if (l == 0 || l > 63 || off + l + 2 > cap) return -1;
    p[off++] = (unsigned char)l;
    memcpy(p + off, s, (size_t)l);
    off += l;
    s += l;
    if (*s == '.') s++;
  }
  if (off + 1 > cap) return -1;
  p[off++] = 0;
  return off;
}

// "D.C.B.A.in-addr.arpa" as an address (1) or not (0).
static int ptr_address(const char *q, struct in_addr *a) {
  unsigned b[4];
  char tail[64];
  if (sscanf(q, "%u.%u.%u.%u.%63s", &b[3], &b[2], &b[1], &b[0], tail) != 5 || strcmp(tail, "in-addr.arpa") != 0) return 0;
  for (int i = 0; i < 4; i++)
    if (b[i] > 255) return 0;
  a->s_addr = htonl((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]);
  return 1;
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0 && (a == b || s[a - b - 1] == '.');
}

// A reverse name of a locally served zone (RFC 6303: private, loopback, link-local,
// documentation ranges, IPv6 ULA and link-local): answered here, never forwarded.
static int locally_served(const char *q) {
  if (ends_with(q, "d.f.ip6.arpa") || ends_with(q, "8.e.f.ip6.arpa") || ends_with(q, "9.e.f.ip6.arpa") || ends_with(q, "a.e.f.ip6.arpa") || ends_with(q, "b.e.f.ip6.arpa")) return 1;
  if (!ends_with(q, "in-addr.arpa")) return 0;
  // the octets, most significant first
  int oct[4], n = 0;
  const char *end = q + strlen(q) - strlen("in-addr.arpa") - 1;
  const char *p = end;
  while (p > q && n < 4) {
    const char *s = p;
    while (s > q && s[-1] != '.') s--;
    int v = 0, digits = 0;
    for (const char *d = s; d < p; d++) {
      if (!isdigit((unsigned char)*d)) return 0;
      v = v * 10 + (*d - '0');
      digits++;
    }
    if (!digits || v > 255) return 0;
    oct[n++] = v;
    p = s > q ? s - 1 : q;
  }
  if (n >= 1 && (oct[0] == 0 || oct[0] == 10 || oct[0] == 127)) return 1;
  if (n >= 2 && ((oct[0] == 169 && oct[1] == 254) || (oct[0] == 172 && oct[1] >= 16 && oct[1] <= 31) || (oct[0] == 192 && oct[1] == 168) || (oct[0] == 100 && oct[1] >= 64 && oct[1] <= 127))) return 1;
  if (n >= 3 && ((oct[0] == 192 && oct[1] == 0 && oct[2] == 2) || (oct[0] == 198 && oct[1] == 51 && oct[2] == 100) || (oct[0] == 203 && oct[1] == 0 && oct[2] == 113))) return 1;
  return 0;
}

// The tables a client's question is answered from: the own one, then its other networks'.
static int tables_of(struct client *c, struct table **out) {
  int n = 0;
  out[n++] = &own;
  if (!c) return n;
  for (int i = 0; i < c->n_also; i++) {
    struct table *t = &peers[c->also[i]];
    load(t, 0);
    out[n++] = t;
  }
  return n;
}

enum { LOCAL, FORWARD, DROP };

// The answer to Q from the known names, in R; or FORWARD. *RLEN: the answer's length.
static int answer(const unsigned char *q, int qlen, unsigned char *r, int cap, struct client *c, int can_forward, int *rlen) {
  if (qlen < 12 || (q[2] & 0x80)) return DROP; // not a query
  unsigned qd = (unsigned)(q[4] << 8 | q[5]);
  char name[MAX_NAME];
  int end = qd == 1 ? read_qname(q, qlen, 12, name) : -1;
  memset(r, 0, 12);
  r[0] = q[0];
  r[1] = q[1];
  r[2] = (unsigned char)(0x80 | (q[2] & 0x79)); // QR, opcode and RD copied
  if (end < 0 || end + 4 > qlen || ((q[2] >> 3) & 0xf) != 0) {
    r[3] = 4; // NOTIMP / FORMERR: one plain question only
    if (end >= 0 && end + 4 <= qlen && end + 4 <= cap) {
      memcpy(r + 12, q + 12, (size_t)(end + 4 - 12));
      r[5] = 1;
      *rlen = end + 4;
      return LOCAL;
    }
    r[3] = 1;
    *rlen = 12;
    return LOCAL;
  }
  unsigned qtype = (unsigned)(q[end] << 8 | q[end + 1]);
  unsigned qclass = (unsigned)(q[end + 2] << 8 | q[end + 3]);
  int off = end + 4;
  if (off > cap) return DROP;
  memcpy(r + 12, q + 12, (size_t)(off - 12));
  r[5] = 1; // QDCOUNT
  r[2] |= 0x04; // AA
  int ancount = 0, known = 0;
  struct table *ts[1 + MAX_ALSO];
  int nt = tables_of(c, ts);
  struct in_addr pa;
  if (ptr_address(name, &pa)) {
    for (int t = 0; t < nt && !known; t++) {
      for (int i = 0; i < ts[t]->n; i++) {
        struct entry *e = &ts[t]->v[i];
        if (e->addr.s_addr != pa.s_addr) continue;
        known = 1;
        if ((qtype != 12 && qtype != 255) || qclass != 1) break;
        int start = off;
        off = put16(r, off, 0xc00c);
        off = put16(r, off, 12);
        off = put16(r, off, 1);
        off = put32(r, off, 5);
        int rd = off;
        off += 2;
        int e_end = put_name(r, off, cap, e->name);
        if (e_end < 0) {
          off = start;
          break;
        }
        put16(r, rd, (unsigned)(e_end - off));
        off = e_end;
        ancount++;
        break; // the first name of the address
      }
    }
  } else {
    for (int t = 0; t < nt && !known; t++) {
      for (int i = 0; i < ts[t]->n; i++) {
        struct entry *e = &ts[t]->v[i];
        if (strcmp(e->name, name) != 0) continue;
        known = 1;
        if ((qtype != 1 && qtype != 255) || qclass != 1) continue;
        if (off + 16 > cap) break;
        off = put16(r, off, 0xc00c);
        off = put16(r, off, 1);
        off = put16(r, off, 1);
        off = put32(r, off, 5);
        off = put16(r, off, 4);
        memcpy(r + off, &e->addr, 4);
        off += 4;
        ancount++;
      }
    }
  }
  r[7] = (unsigned char)ancount;
  *rlen = off;
  if (known) return LOCAL;
  int dotted = strchr(name, '.') != NULL;
  if (!dotted || locally_served(name)) {
    r[3] = 3; // NXDOMAIN
    return LOCAL;
  }
  if (can_forward) return FORWARD;
  r[3] = 2; // SERVFAIL: nowhere to ask
  return LOCAL;
}

// SERVFAIL for Q (its ID, flags and question), in R; the length.
static int servfail(const unsigned char *q, int qlen, unsigned char *r) {
  char name[MAX_NAME];
  int end = read_qname(q, qlen, 12, name);
  memset(r, 0, 12);
  r[0] = q[0];
  r[1] = q[1];
  r[2] = (unsigned char)(0x80 | (q[2] & 0x79));
  r[3] = 2;
  if (end < 0 || end + 4 > qlen || end + 4 > 512) return 12;
  memcpy(r + 12, q + 12, (size_t)(end + 4 - 12));
  r[5] = 1;
  return end + 4;
}

// ---- TCP connections ----

struct conn {
  int fd; // -1: free
  unsigned gen;
  struct in_addr peer;
  unsigned char in[2 + MAX_MSG];
  int inlen;
  unsigned char *out;
  size_t outlen, outoff, outcap;
  long long last; // last read or write
  int rd_closed;
  int pending; // forwarded questions not yet answered
};

static struct conn conns[MAX_CONNS];
static unsigned conn_gen;

static void conn_close(struct conn *k) {
  close(k->fd);
  k->fd = -1;
  free(k->out);
  k->out = NULL;
  k->outlen = k->outoff = k->outcap = 0;
  k->inlen = 0;
  k->pending = 0;
}

// Queue MSG with its length prefix; 0 when the client is too far behind (then closed).
static int conn_send(struct conn *k, const unsigned char *msg, int len) {
  size_t need = k->outlen - k->outoff + 2 + (size_t)len;
  if (need > MAX_OUT) {
    conn_close(k);
    return 0;
  }
  if (k->outoff) {
    memmove(k->out, k->out + k->outoff, k->outlen - k->outoff);
    k->outlen -= k->outoff;
    k->outoff = 0;
  }
  if (k->outlen + 2 + (size_t)len > k->outcap) {
    size_t cap = k->outcap ? k->outcap : 1024;
    while (cap < k->outlen + 2 + (size_t)len) cap *= 2;
    unsigned char *o = realloc(k->out, cap);
    if (!o) {
      conn_close(k);
      return 0;
    }
    k->out = o;
    k->outcap = cap;
  }
  k->out[k->outlen++] = (unsigned char)(len >> 8);
  k->out[k->outlen++] = (unsigned char)len;
  memcpy(k->out + k->outlen, msg, (size_t)len);
  k->outlen += (size_t)len;
  return 1;
}

// ---- forwarded questions ----

struct pending {
  int fd; // the socket to the current upstream; -1: slot free
  int tcp; // the client's transport
  struct sockaddr_in peer; // UDP client
  int conn;
  unsigned conn_gen; // TCP client: its connection, if still the same
  unsigned short orig_id, id;
  unsigned char *q;
  int qlen;
  int qend; // end of the question section
  struct in_addr up[MAX_UPSTREAMS];
  int n_up, next;
  long long deadline;
  // a TCP client's truncated UDP answer: the same upstream asked again over TCP
  int stage; // 0: UDP; 1: TCP connecting and sending; 2: TCP reading
  unsigned char *truncated; // the UDP answer, relayed if TCP fails
  int truncated_len;
  unsigned char *tin;
  int tinlen, tsent;
};

static struct pending pend[MAX_PENDING];
static int udp_fd;

static void deliver(struct pending *p, unsigned char *msg, int len) {
  msg[0] = (unsigned char)(p->orig_id >> 8);
  msg[1] = (unsigned char)p->orig_id;
  if (!p->tcp) {
    sendto(udp_fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&p->peer, sizeof p->peer);
    return;
  }
  struct conn *k = &conns[p->conn];
  if (k->fd < 0 || k->gen != p->conn_gen) return; // the client went away
  k->pending--;
  conn_send(k, msg, len);
}

static void pending_free(struct pending *p) {
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
  free(p->q);
  p->q = NULL;
  free(p->truncated);
  p->truncated = NULL;
  free(p->tin);
  p->tin = NULL;
  p->stage = 0;
}

static int id_in_use(const struct pending *self, unsigned short id) {
  for (int i = 0; i < MAX_PENDING; i++)
    if (&pend[i] != self && pend[i].q && pend[i].id == id) return 1;
  return 0;
}

// Send P to its next upstream; when none is left, SERVFAIL to the client.
static void try_next(struct pending *p) {
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
  while (p->next < p->n_up) {
    struct sockaddr_in u = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = p->up[p->next++]};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    // connected: only that upstream's datagrams arrive, and its refusal shows as ECONNREFUSED
    if (connect(fd, (struct sockaddr *)&u, sizeof u) < 0 || send(fd, p->q, (size_t)p->qlen, MSG_NOSIGNAL) < 0) {
      close(fd);
      continue;
    }
    p->fd = fd;
    p->deadline = now_ms() + UPSTREAM_TIMEOUT_MS;
    return;
  }
  unsigned char r[512];
  int rl = servfail(p->q, p->qlen, r);
  deliver(p, r, rl);
  pending_free(p);
}

static void forward(const unsigned char *q, int qlen, struct client *c, int tcp, const struct sockaddr_in *peer, int conn) {
  struct pending *p = NULL;
  for (int i = 0; i < MAX_PENDING && !p; i++)
    if (!pend[i].q) p = &pend[i];
  char name[MAX_NAME];
  int qend = read_qname(q, qlen, 12, name);
  if (!p || qend < 0) {
    unsigned char r[512];
    int rl = servfail(q, qlen, r);
    struct pending tmp = {.fd = -1, .tcp = tcp, .conn = conn, .orig_id = (unsigned short)(q[0] << 8 | q[1])};
    if (peer) tmp.peer = *peer;
    if (tcp) {
      tmp.conn_gen = conns[conn].gen;
      conns[conn].pending++;
    }
    deliver(&tmp, r, rl);
    return;
  }
  memset(p, 0, sizeof *p);
  p->fd = -1;
  p->q = malloc((size_t)qlen);
  if (!p->q) return;
  memcpy(p->q, q, (size_t)qlen);
  p->qlen = qlen;
  p->qend = qend + 4;
  p->tcp = tcp;
  if (peer) p->peer = *peer;
  p->conn = conn;
  if (tcp) {
    p->conn_gen = conns[conn].gen;
    conns[conn].pending++;
  }
  p->orig_id = (unsigned short)(q[0] << 8 | q[1]);
  // a fresh random ID that no other forwarded question has
  if (getrandom(&p->id, sizeof p->id, 0) != sizeof p->id) p->id = (unsigned short)(now_ms() * 2654435761u >> 16);
  while (id_in_use(p, p->id)) p->id = (unsigned short)(p->id + 1);
  p->q[0] = (unsigned char)(p->id >> 8);
  p->q[1] = (unsigned char)p->id;
  if (c && c->own_upstreams) {
    memcpy(p->up, c->up, sizeof p->up);
    p->n_up = c->n_up;
  } else {
    memcpy(p->up, default_up, sizeof p->up);
    p->n_up = n_default_up;
  }
  try_next(p);
}

// Whether BUF answers P's question (its ID, QR, the same question).
static int answers(const struct pending *p, const unsigned char *buf, ssize_t n) {
  if (n < 12 || (buf[0] << 8 | buf[1]) != p->id || !(buf[2] & 0x80)) return 0;
  unsigned qd = (unsigned)(buf[4] << 8 | buf[5]);
  if (qd == 1) {
    if (n < p->qend) return 0;
    for (int i = 12; i < p->qend; i++)
      if (tolower(buf[i]) != tolower(p->q[i])) return 0;
    return 1;
  }
  return qd == 0 && (buf[3] & 0xf) != 0; // no question: only an error answer is taken
}

// TCP to the upstream failed or timed out: the truncated UDP answer after all.
static void tcp_upstream_failed(struct pending *p) {
  deliver(p, p->truncated, p->truncated_len);
  pending_free(p);
}

// P's upstream truncated its UDP answer to a TCP client: ask it again over TCP.
static void retry_over_tcp(struct pending *p, const unsigned char *buf, int n) {
  struct sockaddr_in u = {.sin_family = AF_INET, .sin_port = htons(53), .sin_addr = p->up[p->next - 1]};
  p->truncated = malloc((size_t)n);
  p->tin = malloc(2 + MAX_MSG);
  if (!p->truncated || !p->tin) {
    unsigned char *copy = (unsigned char *)buf;
    deliver(p, copy, n);
    pending_free(p);
    return;
  }
  memcpy(p->truncated, buf, (size_t)n);
  p->truncated_len = n;
  close(p->fd);
  p->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (p->fd < 0 || (connect(p->fd, (struct sockaddr *)&u, sizeof u) < 0 && errno != EINPROGRESS)) {
    tcp_upstream_failed(p);
    return;
  }
  p->stage = 1;
  p->tinlen = p->tsent = 0;
  p->deadline = now_ms() + UPSTREAM_TIMEOUT_MS;
}

static void tcp_upstream_event(struct pending *p, short revents) {
  if (p->stage == 1) {
    int err = 0;
    socklen_t el = sizeof err;
    if ((revents & (POLLERR | POLLHUP)) || getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err) {
      tcp_upstream_failed(p); // refused: it speaks UDP only
      return;
    }
    unsigned char msg[2 + 4096];
    if (p->qlen > 4096) {
      tcp_upstream_failed(p);
      return;
    }
    msg[0] = (unsigned char)(p->qlen >> 8);
    msg[1] = (unsigned char)p->qlen;
    memcpy(msg + 2, p->q, (size_t)p->qlen);
    ssize_t w = send(p->fd, msg + p->tsent, (size_t)(2 + p->qlen - p->tsent), MSG_NOSIGNAL);
    if (w < 0) {
      if (errno != EAGAIN && errno != EINTR) tcp_upstream_failed(p);
      return;
    }
    p->tsent += (int)w;
    if (p->tsent == 2 + p->qlen) p->stage = 2;
    return;
  }
  ssize_t r = recv(p->fd, p->tin + p->tinlen, (size_t)(2 + MAX_MSG - p->tinlen), 0);
  if (r < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (r <= 0) {
    tcp_upstream_failed(p);
    return;
  }
  p->tinlen += (int)r;
  if (p->tinlen < 2) return;
  int len = p->tin[0] << 8 | p->tin[1];
  if (p->tinlen < 2 + len) return;
  if (!answers(p, p->tin + 2, len)) {
    tcp_upstream_failed(p);
    return;
  }
  deliver(p, p->tin + 2, len);
  pending_free(p);
}

// An upstream's datagram for P: relayed if it answers P's question, else ignored.
static void upstream_readable(struct pending *p) {
  static unsigned char buf[MAX_MSG];
  ssize_t n = recv(p->fd, buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == EAGAIN || errno == EINTR) return;
    try_next(p); // refused (nothing on port 53 there) or unreachable: the next one now
    return;
  }
  if (!answers(p, buf, n)) return;
  if (p->tcp && (buf[2] & 0x02)) {
    retry_over_tcp(p, buf, (int)n);
    return;
  }
  deliver(p, buf, (int)n);
  pending_free(p);
}

// ---- the clients' side ----

static void handle_query(const unsigned char *q, int qlen, struct in_addr from, int tcp, const struct sockaddr_in *peer, int conn) {
  unsigned char r[512];
  int rl = 0;
  struct client *c = client_of(from, 0);
  int can_forward = (c && c->own_upstreams) ? c->n_up > 0 : n_default_up > 0;
  int what = answer(q, qlen, r, sizeof r, c, can_forward, &rl);
  if (what == DROP) return;
  if (what == FORWARD) {
    forward(q, qlen, c, tcp, peer, conn);
    return;
  }
  if (tcp) conn_send(&conns[conn], r, rl);
  else sendto(udp_fd, r, (size_t)rl, MSG_NOSIGNAL, (const struct sockaddr *)peer, sizeof *peer);
}

static void udp_readable(void) {
  unsigned char q[4096];
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  ssize_t len = recvfrom(udp_fd, q, sizeof q, 0, (struct sockaddr *)&peer, &plen);
  if (len <= 0 || plen != sizeof peer) return;
  handle_query(q, (int)len, peer.sin_addr, 0, &peer, -1);
}

static void tcp_accept(int lfd) {
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (fd < 0) return;
  for (int i = 0; i < MAX_CONNS; i++) {
    struct conn *k = &conns[i];
    if (k->fd >= 0) continue;
    k->fd = fd;
    k->gen = ++conn_gen;
    k->peer = peer.sin_addr;
    k->inlen = 0;
    k->last = now_ms();
    k->rd_closed = 0;
    k->pending = 0;
    return;
  }
  close(fd); // full: the client retries or falls back to UDP
}

static void conn_readable(int i) {
  struct conn *k = &conns[i];
  ssize_t n = recv(k->fd, k->in + k->inlen, sizeof k->in - (size_t)k->inlen, 0);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) conn_close(k);
    return;
  }
  if (n == 0) {
    k->rd_closed = 1; // the client is done asking; its answers still go out
    return;
  }
  k->last = now_ms();
  k->inlen += (int)n;
  while (k->fd >= 0 && k->inlen >= 2) {
    int len = k->in[0] << 8 | k->in[1];
    if (len < 12) {
      conn_close(k);
      return;
    }
    if (k->inlen < 2 + len) break;
    struct sockaddr_in peer = {.sin_family = AF_INET, .sin_addr = k->peer};
    handle_query(k->in + 2, len, k->peer, 1, &peer, i);
    if (k->fd < 0) return;
    memmove(k->in, k->in + 2 + len, (size_t)(k->inlen - 2 - len));
    k->inlen -= 2 + len;
  }
}

static void conn_writable(struct conn *k) {
  ssize_t n = send(k->fd, k->out + k->outoff, k->outlen - k->outoff, MSG_NOSIGNAL);
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) conn_close(k);
    return;
  }
  k->outoff += (size_t)n;
  k->last = now_ms();
  if (k->outoff == k->outlen) k->outoff = k->outlen = 0;
}

static int listen_on(int type, const struct sockaddr_in *sa) {
  int s = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  if (s < 0) return -1;
  if (type == SOCK_STREAM) setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (const struct sockaddr *)sa, sizeof *sa) < 0 || (type == SOCK_STREAM && listen(s, 16) < 0)) {
    close(s);
    return -1;
  }
  return s;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: hx-dns ADDRESS NAMES_FILE [UPSTREAM...]\n");
    return 2;
  }
  /* it outlives whoever started it: hold nothing of theirs (a pipe someone waits on, a lock) */
  syscall(SYS_close_range, 3U, ~0U, 0U);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
    fprintf(stderr, "hx-dns: bad address %s\n", argv[1]);
    return 2;
  }
  listen_addr = sa.sin_addr;
  if (strlen(argv[2]) >= PATH_MAX) return 2;
  strcpy(own.path, argv[2]);
  for (int i = 3; i < argc && n_default_up < MAX_UPSTREAMS; i++) {
    struct in_addr u;
    if (inet_pton(AF_INET, argv[i], &u) != 1) {
      fprintf(stderr, "hx-dns: bad upstream %s\n", argv[i]);
      return 2;
    }
    if (u.s_addr != listen_addr.s_addr) default_up[n_default_up++] = u;
  }
  udp_fd = listen_on(SOCK_DGRAM, &sa);
  int tcp_fd = udp_fd >= 0 ? listen_on(SOCK_STREAM, &sa) : -1;
  if (tcp_fd < 0) {
    fprintf(stderr, "hx-dns: bind %s:53: %s\n", argv[1], strerror(errno));
    return 1;
  }
  for (int i = 0; i < MAX_CONNS; i++) conns[i].fd = -1;
  for (int i = 0; i < MAX_PENDING; i++) pend[i].fd = -1;
  if (!load(&own, 1)) return 0;
  // ready: the starter waits for this line before it lets the container go
  if (write(1, "ready\n", 6) < 0) { /* nobody listens */ }
  close(1);
  for (;;) {
    struct pollfd fds[2 + MAX_CONNS + MAX_PENDING];
    int who[2 + MAX_CONNS + MAX_PENDING]; // >= 0: a connection; < -1: -(pending + 2)
    int nf = 0;
    long long now = now_ms(), wake = now + 1000;
    fds[nf] = (struct pollfd){.fd = udp_fd, .events = POLLIN};
    who[nf++] = -1;
    fds[nf] = (struct pollfd){.fd = tcp_fd, .events = POLLIN};
    who[nf++] = -1;
    for (int i = 0; i < MAX_CONNS; i++) {
      struct conn *k = &conns[i];
      if (k->fd < 0) continue;
      int idle = k->pending == 0 && now - k->last >= IDLE_MS;
      int done = k->rd_closed && k->pending == 0 && k->outoff == k->outlen;
      if (idle || done) {
        conn_close(k);
        continue;
      }
      if (k->pending == 0 && k->last + IDLE_MS < wake) wake = k->last + IDLE_MS;
      short ev = (short)((k->rd_closed ? 0 : POLLIN) | (k->outlen > k->outoff ? POLLOUT : 0));
      fds[nf] = (struct pollfd){.fd = k->fd, .events = ev};
      who[nf++] = i;
    }
    for (int i = 0; i < MAX_PENDING; i++) {
      struct pending *p = &pend[i];
      if (!p->q) continue;
      if (p->deadline <= now) {
        if (p->stage) tcp_upstream_failed(p);
        else try_next(p); // too slow: the next upstream, or SERVFAIL
        if (!p->q) continue;
      }
      if (p->deadline < wake) wake = p->deadline;
      fds[nf] = (struct pollfd){.fd = p->fd, .events = p->stage == 1 ? POLLOUT : POLLIN};
      who[nf++] = -(i + 2);
    }
    int n = poll(fds, (nfds_t)nf, (int)(wake > now ? wake - now : 0));
    if (!load(&own, 1)) return 0;
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) udp_readable();
    if (fds[1].revents & POLLIN) tcp_accept(tcp_fd);
    for (int j = 2; j < nf; j++) {
      if (!fds[j].revents) continue;
      if (who[j] >= 0) {
        struct conn *k = &conns[who[j]];
        if (k->fd != fds[j].fd) continue; // closed meanwhile
        if (fds[j].revents & (POLLERR | POLLNVAL)) {
          conn_close(k);
          continue;
        }
        if (fds[j].revents & POLLOUT) conn_writable(k);
        if (k->fd >= 0 && (fds[j].revents & (POLLIN | POLLHUP))) {
          if (fds[j].revents & POLLIN) conn_readable(who[j]);
          else k->rd_closed = 1;
        }
      } else {
        struct pending *p = &pend[-who[j] - 2];
        if (!p->q || p->fd != fds[j].fd) continue;
        if (p->stage) tcp_upstream_event(p, fds[j].revents);
        else upstream_readable(p);
      }
    }
  }
}
