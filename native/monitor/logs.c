/* The container's log in docker's json-file format: one JSON object per line,
 *   {"log":"hello world\n","stream":"stdout","time":"2026-12-01T12:00:00.123456789Z"}
 * the line's newline kept in "log" (a last line without one written as it is at EOF),
 * lines longer than 16 KiB split as docker splits them, and --log-opt max-size/max-file
 * rotation (ctr.log -> ctr.log.1 -> ... ). Readers: src/container/logs.ts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "monitor.h"

void hx_rfc3339nano(char *out, size_t cap) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char frac[16] = "";
    if (ts.tv_nsec) {
        snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
        size_t n = strlen(frac);
        while (n > 1 && frac[n - 1] == '0') frac[--n] = 0; /* Go trims trailing zeros */
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%sZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* Length of the UTF-8 sequence at S (max N bytes), or 0 when it is not valid UTF-8. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t k;
    uint32_t cp;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) k = 2, cp = c & 0x1f;
    else if ((c & 0xf0) == 0xe0) k = 3, cp = c & 0x0f;
    else if ((c & 0xf8) == 0xf0) k = 4, cp = c & 0x07;
    else return 0;
    if (k > n) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((k == 2 && cp < 0x80) || (k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
    if (cp >= 0xd800 && cp <= 0xdfff) return 0;
    return k;
}

size_t hx_json_escape(char *out, size_t cap, const char *data, size_t len) {
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    const unsigned char *s = (const unsigned char *)data;
    for (size_t i = 0; i < len && o + 8 < cap;) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
            i++;
        } else if (c == '\n') {
            out[o++] = '\\', out[o++] = 'n', i++;
        } else if (c == '\r') {
            out[o++] = '\\', out[o++] = 'r', i++;
        } else if (c == '\t') {
            out[o++] = '\\', out[o++] = 't', i++;
        } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            o += (size_t)snprintf(out + o, cap - o, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
            i++;
        } else if (c < 0x80) {
            out[o++] = (char)c, i++;
        } else {
            size_t k = utf8_len(s + i, len - i);
            if (k == 0) {
                o += (size_t)snprintf(out + o, cap - o, "\\ufffd");
                i++;
            } else if (k == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                o += (size_t)snprintf(out + o, cap - o, "\\u202%c", s[i + 2] == 0xa8 ? '8' : '9');
                i += 3;
            } else {
                memcpy(out + o, s + i, k);
                o += k;
                i += k;
            }
        }
    }
    return o;
}

int hx_log_open(struct hx_log *l, const char *path, uint64_t max_size, int max_files) {
    memset(l, 0, sizeof *l);
    snprintf(l->path, sizeof l->path, "%s", path);
    l->max_size = max_size;
    l->max_files = max_files < 1 ? 1 : max_files;
    l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (l->fd < 0) return -errno;
    struct stat st;
    if (fstat(l->fd, &st) == 0) l->size = (uint64_t)st.st_size;
    return 0;
}

static void rotate(struct hx_log *l) {
    char from[4200], to[4200];
    if (l->max_files <= 1) {
        /* docker with max-file=1: the file is truncated and starts again */
        if (ftruncate(l->fd, 0) == 0) l->size = 0;
        return;
    }
    for (int i = l->max_files - 1; i >= 1; i--) {
        if (i == 1) snprintf(from, sizeof from, "%s", l->path);
        else snprintf(from, sizeof from, "%s.%d", l->path, i - 1);
        snprintf(to, sizeof to, "%s.%d", l->path, i);
        rename(from, to); /* a missing older file is fine */
    }
    close(l->fd);
    l->fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0600);
    l->size = 0;
}

static void write_record(struct hx_log *l, int stream, const char *line, size_t len) {
    static char buf[16384 * 6 + 256];
    char ts[48];
    hx_rfc3339nano(ts, sizeof ts);
    size_t o = (size_t)snprintf(buf, sizeof buf, "{\"log\":\"");
    o += hx_json_escape(buf + o, sizeof buf - o - 96, line, len);
    o += (size_t)snprintf(buf + o, sizeof buf - o, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream == 2 ? "stderr" : "stdout", ts);
    if (l->max_size && l->size + o > l->max_size && l->size > 0) rotate(l);
    if (l->fd < 0) return;
    for (size_t off = 0; off < o;) {
        ssize_t n = write(l->fd, buf + off, o - off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return; /* a full disk loses log lines, never the container */
        off += (size_t)n;
    }
    l->size += o;
}

void hx_log_write(struct hx_log *l, int stream, const char *data, size_t len) {
    int s = stream == 2 ? 1 : 0;
    while (len > 0) {
        const char *nl = memchr(data, '\n', len);
        size_t take = nl ? (size_t)(nl - data) + 1 : len;
        size_t room = sizeof l->partial[s] - l->partial_len[s];
        if (take > room) take = room;
        memcpy(l->partial[s] + l->partial_len[s], data, take);
        l->partial_len[s] += take;
        data += take;
        len -= take;
        int complete = l->partial[s][l->partial_len[s] - 1] == '\n';
        if (complete || l->partial_len[s] == sizeof l->partial[s]) {
            write_record(l, stream, l->partial[s], l->partial_len[s]);
            l->partial_len[s] = 0;
        }
    }
}

void hx_log_flush(struct hx_log *l, int stream) {
    int s = stream == 2 ? 1 : 0;
    if (l->partial_len[s]) write_record(l, stream, l->partial[s], l->partial_len[s]);
    l->partial_len[s] = 0;
}
