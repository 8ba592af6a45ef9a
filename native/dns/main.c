// hx-dns: the embedded DNS responder of one user network (podman's aardvark-dns, docker's
// embedded DNS), started by hx inside the network namespace that holds the network's
// bridge, listening on the gateway address, UDP port 53.
//
//   hx-dns ADDRESS NAMES_FILE
//
// NAMES_FILE holds "IP NAME [NAME...]" lines (the running containers of the network: names,
// short IDs, aliases); hx replaces it by rename whenever a container connects, disconnects,
// starts or stops, and this program reloads it when its inode or mtime changes (checked at
// every query and every second). It exits when the file is gone: removing the file is how
// hx, or its sweep after a crash, stops it even without its pid.
//
// Answers: A for the network's names (AAAA: none, NOERROR), PTR for their addresses.
// Other names are not forwarded (the held namespace has no outbound path): SERVFAIL for a
// dotted name, NXDOMAIN for a single label, so nothing ever leaves the namespace.
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_ENTRIES 4096
#define MAX_NAME 256

struct entry {
  char name[MAX_NAME];
  struct in_addr addr;
};

static struct entry entries[MAX_ENTRIES];
static int entry_count;
static struct stat loaded;
static int have_loaded;

static void lower(char *s) {
  for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

// Reload NAMES if it changed; 0 when it is gone (time to exit).
static int refresh(const char *names) {
  struct stat st;
  if (stat(names, &st) < 0) return errno == ENOENT ? 0 : 1;
  if (have_loaded && st.st_ino == loaded.st_ino && st.st_mtim.tv_sec == loaded.st_mtim.tv_sec && st.st_mtim.tv_nsec == loaded.st_mtim.tv_nsec && st.st_size == loaded.st_size) return 1;
  FILE *f = fopen(names, "r");
  if (!f) return errno == ENOENT ? 0 : 1;
  entry_count = 0;
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    char *save = NULL;
    char *ip = strtok_r(line, " \t\r\n", &save);
    struct in_addr a;
    if (!ip || inet_pton(AF_INET, ip, &a) != 1) continue;
    for (char *n = strtok_r(NULL, " \t\r\n", &save); n && entry_count < MAX_ENTRIES; n = strtok_r(NULL, " \t\r\n", &save)) {
      if (strlen(n) >= MAX_NAME) continue;
      strcpy(entries[entry_count].name, n);
      lower(entries[entry_count].name);
      entries[entry_count].addr = a;
      entry_count++;
    }
  }
  fclose(f);
  loaded = st;
  have_loaded = 1;
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

static int answer(const unsigned char *q, int qlen, unsigned char *r, int cap) {
  if (qlen < 12 || (q[2] & 0x80)) return -1; // not a query
  unsigned qd = (unsigned)(q[4] << 8 | q[5]);
  char name[MAX_NAME];
  int end = qd == 1 ? read_qname(q, qlen, 12, name) : -1;
  memset(r, 0, 12);
  r[0] = q[0];
  r[1] = q[1];
  r[2] = (unsigned char)(0x80 | (q[2] & 0x79)); // QR, opcode and RD copied
  if (end < 0 || end + 4 > qlen || ((q[2] >> 3) & 0xf) != 0) {
    r[3] = 4; // NOTIMP / FORMERR: one plain question only
    if (end >= 0 && end + 4 <= qlen) {
      memcpy(r + 12, q + 12, (size_t)(end + 4 - 12));
      r[5] = 1;
      return end + 4;
    }
    r[3] = 1;
    return 12;
  }
  unsigned qtype = (unsigned)(q[end] << 8 | q[end + 1]);
  unsigned qclass = (unsigned)(q[end + 2] << 8 | q[end + 3]);
  int off = end + 4;
  if (off > cap) return -1;
  memcpy(r + 12, q + 12, (size_t)(off - 12));
  r[5] = 1; // QDCOUNT
  r[2] |= 0x04; // AA
  int ancount = 0, known = 0;
  struct in_addr pa;
  if (ptr_address(name, &pa)) {
    for (int i = 0; i < entry_count; i++) {
      if (entries[i].addr.s_addr != pa.s_addr) continue;
      known = 1;
      if ((qtype != 12 && qtype != 255) || qclass != 1) break;
      int start = off;
      off = put16(r, off, 0xc00c);
      off = put16(r, off, 12);
      off = put16(r, off, 1);
      off = put32(r, off, 5);
      int rd = off;
      off += 2;
      int e = put_name(r, off, cap, entries[i].name);
      if (e < 0) {
        off = start;
        break;
      }
      put16(r, rd, (unsigned)(e - off));
      off = e;
      ancount++;
      break; // the first name of the address
    }
  } else {
    for (int i = 0; i < entry_count; i++) {
      if (strcmp(entries[i].name, name) != 0) continue;
      known = 1;
      if ((qtype != 1 && qtype != 255) || qclass != 1) continue;
      if (off + 16 > cap) break;
      off = put16(r, off, 0xc00c);
      off = put16(r, off, 1);
      off = put16(r, off, 1);
      off = put32(r, off, 5);
      off = put16(r, off, 4);
      memcpy(r + off, &entries[i].addr, 4);
      off += 4;
      ancount++;
    }
  }
  r[7] = (unsigned char)ancount;
  if (!known) r[3] = strchr(name, '.') ? 2 : 3; // SERVFAIL (would be forwarded) / NXDOMAIN
  return off;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: hx-dns ADDRESS NAMES_FILE\n");
    return 2;
  }
  /* it outlives whoever started it: hold nothing of theirs (a pipe someone waits on, a lock) */
  syscall(SYS_close_range, 3U, ~0U, 0U);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(53)};
  if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
    fprintf(stderr, "hx-dns: bad address %s\n", argv[1]);
    return 2;
  }
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof sa) < 0) {
    fprintf(stderr, "hx-dns: bind %s:53: %s\n", argv[1], strerror(errno));
    return 1;
  }
  if (!refresh(argv[2])) return 0;
  // ready: the starter waits for this line before it lets the container go
  if (write(1, "ready\n", 6) < 0) { /* nobody listens */ }
  close(1);
  for (;;) {
    struct pollfd p = {.fd = s, .events = POLLIN};
    int n = poll(&p, 1, 1000);
    if (!refresh(argv[2])) return 0;
    if (n <= 0) continue;
    unsigned char q[512], r[512];
    struct sockaddr_in peer;
    socklen_t plen = sizeof peer;
    ssize_t len = recvfrom(s, q, sizeof q, 0, (struct sockaddr *)&peer, &plen);
    if (len <= 0) continue;
    int rl = answer(q, (int)len, r, sizeof r);
    if (rl > 0) sendto(s, r, (size_t)rl, 0, (struct sockaddr *)&peer, plen);
  }
}
