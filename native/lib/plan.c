/* The HXP1 plan parser (spawn.h): what src/runtime/plan.ts writes, read into a struct
 * hx_plan whose pointers point into a private copy of the buffer. Shared by libhxns
 * (spawn.c) and the detached-container monitor (native/monitor). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/syscall.h>
#include "procstat.h"
#include "spawn.h"

struct reader {
    const uint8_t *p, *end;
};

static int rd_u32(struct reader *r, uint32_t *out) {
    if (r->end - r->p < 4) return -1;
    memcpy(out, r->p, 4);
    r->p += 4;
    return 0;
}

static int rd_u64(struct reader *r, uint64_t *out) {
    if (r->end - r->p < 8) return -1;
    memcpy(out, r->p, 8);
    r->p += 8;
    return 0;
}

/* A NUL-terminated string inside the record. */
static int rd_str(struct reader *r, const char **out) {
    const uint8_t *nul = memchr(r->p, 0, (size_t)(r->end - r->p));
    if (!nul) return -1;
    *out = (const char *)r->p;
    r->p = nul + 1;
    return 0;
}

void hx_plan_free(struct hx_plan *p) {
    if (!p) return;
    if (p->join_pidfd >= 0) close(p->join_pidfd);
    if (p->netjoin_pidfd >= 0) close(p->netjoin_pidfd);
    free(p->mounts);
    free(p->gids);
    free(p->rlimits);
    if (p->argv) free(p->argv - 3);
    free(p->envp);
    free(p->buf);
    free(p);
}

/* Two passes: count repeated records, then fill. All pointers point into p->buf. */
int hx_plan_parse(const uint8_t *data, size_t len, struct hx_plan *p) {
    memset(p, 0, sizeof *p);
    p->stdio[0] = HX_FD_NULL;
    p->stdio[1] = HX_FD_NULL;
    p->stdio[2] = HX_FD_NULL;
    p->report_fd = -1;
    p->start_fd = -1;
    p->join_pidfd = -1;
    p->netjoin_pidfd = -1;
    if (len < 8) return -EINVAL;
    p->buf = malloc(len);
    if (!p->buf) return -ENOMEM;
    memcpy(p->buf, data, len);
    uint32_t magic;
    memcpy(&magic, p->buf, 4);
    if (magic != HX_PLAN_MAGIC) return -EINVAL;

    size_t nmounts = 0, nrl = 0, nargs = 0, nenv = 0;
    for (int pass = 0; pass < 2; pass++) {
        const uint8_t *cur = (const uint8_t *)p->buf + 8, *end = (const uint8_t *)p->buf + len;
        if (pass == 1) {
            p->mounts = calloc(nmounts + 1, sizeof *p->mounts);
            p->rlimits = calloc(nrl + 1, sizeof *p->rlimits);
            char **args = calloc(nargs + 4, sizeof(char *));
            p->envp = calloc(nenv + 1, sizeof(char *));
            if (!p->mounts || !p->rlimits || !args || !p->envp) {
                free(args);
                return -ENOMEM;
            }
            p->argv = args + 3; /* three slots in front for an init: init, "--", program */
        }
        while (cur < end) {
            if (end - cur < 8) return -EINVAL;
            uint16_t tag;
            uint32_t rlen;
            memcpy(&tag, cur, 2);
            memcpy(&rlen, cur + 4, 4);
            cur += 8;
            if ((size_t)(end - cur) < rlen) return -EINVAL;
            struct reader r = {cur, cur + rlen};
            cur += rlen;
            if (pass == 0) {
                if (tag == HX_TAG_MOUNT) nmounts++;
                else if (tag == HX_TAG_RLIMIT) nrl++;
                else if (tag == HX_TAG_ARG) nargs++;
                else if (tag == HX_TAG_ENV) nenv++;
                continue;
            }
            switch (tag) {
            case HX_TAG_ROOTFS:
                if (rd_str(&r, &p->rootfs)) return -EINVAL;
                break;
            case HX_TAG_OPTIONS:
                if (rd_u32(&r, &p->ns_flags) || rd_u32(&r, &p->options)) return -EINVAL;
                break;
            case HX_TAG_HOSTNAME:
                if (rd_str(&r, &p->hostname)) return -EINVAL;
                break;
            case HX_TAG_MOUNT: {
                struct hx_mount *m = &p->mounts[p->nmounts++];
                uint32_t zero;
                if (rd_u32(&r, &m->kind) || rd_u32(&r, &m->flags) || rd_u32(&r, &m->bits) || rd_u32(&r, &zero) ||
                    rd_str(&r, &m->source) || rd_str(&r, &m->target) || rd_str(&r, &m->fstype) || rd_str(&r, &m->data))
                    return -EINVAL;
                if (m->target[0] != '/') return -EINVAL;
                break;
            }
            case HX_TAG_CWD:
                if (rd_str(&r, &p->cwd)) return -EINVAL;
                break;
            case HX_TAG_USER: {
                uint32_t n;
                if (rd_u32(&r, &p->uid) || rd_u32(&r, &p->gid) || rd_u32(&r, &n) || n > 65536) return -EINVAL;
                p->gids = calloc(n + 1, sizeof *p->gids);
                if (!p->gids) return -ENOMEM;
                for (uint32_t i = 0; i < n; i++)
                    if (rd_u32(&r, &p->gids[i])) return -EINVAL;
                p->ngroups = n;
                p->has_user = 1;
                break;
            }
            case HX_TAG_CAPS:
                if (rd_u64(&r, &p->cap_bounding) || rd_u64(&r, &p->cap_effective) || rd_u64(&r, &p->cap_permitted) ||
                    rd_u64(&r, &p->cap_inheritable) || rd_u64(&r, &p->cap_ambient) || rd_u32(&r, &p->cap_last) || p->cap_last > 63)
                    return -EINVAL;
                p->has_caps = 1;
                break;
            case HX_TAG_RLIMIT: {
                struct hx_rlimit *l = &p->rlimits[p->nrlimits++];
                uint32_t zero;
                if (rd_u32(&r, &l->resource) || rd_u32(&r, &zero) || rd_u64(&r, &l->soft) || rd_u64(&r, &l->hard)) return -EINVAL;
                break;
            }
            case HX_TAG_SECCOMP:
                if (rlen == 0 || rlen % 8 != 0 || rlen / 8 > 65535) return -EINVAL;
                p->seccomp = r.p;
                p->seccomp_len = rlen;
                break;
            case HX_TAG_ARG:
                if (rd_str(&r, (const char **)&p->argv[p->argc++])) return -EINVAL;
                break;
            case HX_TAG_ENV: {
                const char *e;
                if (rd_str(&r, &e)) return -EINVAL;
                p->envp[p->envc++] = (char *)e;
                if (strncmp(e, "PATH=", 5) == 0) p->path_env = e + 5;
                break;
            }
            case HX_TAG_STDIO:
                for (int i = 0; i < 3; i++)
                    if (rd_u32(&r, (uint32_t *)&p->stdio[i])) return -EINVAL;
                break;
            case HX_TAG_INIT:
                if (rd_str(&r, &p->init)) return -EINVAL;
                p->argv[-3] = (char *)p->init;
                p->argv[-2] = "--";
                break;
            case HX_TAG_JOIN: {
                uint32_t zero;
                if (rd_u32(&r, &p->join_pid) || rd_u32(&r, &zero) || rd_u64(&r, &p->join_start) || p->join_pid == 0) return -EINVAL;
                break;
            }
            case HX_TAG_NETJOIN: {
                uint32_t zero;
                if (rd_u32(&r, &p->netjoin_pid) || rd_u32(&r, &zero) || rd_u64(&r, &p->netjoin_start) || p->netjoin_pid == 0) return -EINVAL;
                break;
            }
            case HX_TAG_TTYGID:
                if (rd_u32(&r, &p->tty_gid)) return -EINVAL;
                break;
            case HX_TAG_CGROUP:
                if (rd_u32(&r, &p->n_cgroup_fds) || p->n_cgroup_fds > 16) return -EINVAL;
                for (uint32_t i = 0; i < p->n_cgroup_fds; i++)
                    if (rd_u32(&r, (uint32_t *)&p->cgroup_fds[i])) return -EINVAL;
                break;
            default:
                return -EINVAL; /* an unknown record: TS and C are out of step */
            }
        }
    }
    /* A new container needs its root filesystem; an exec joins one that has it. */
    if (p->argc == 0 || (!p->join_pid && (!p->rootfs || p->rootfs[0] != '/'))) return -EINVAL;
    return 0;
}

/* --network container:CTR: a pidfd of CTR's pid 1, checked the same way; the child enters
 * its network namespace only (setns CLONE_NEWNET on the pidfd). */
int hx_open_netjoin(struct hx_plan *plan) {
    int fd = (int)syscall(SYS_pidfd_open, (pid_t)plan->netjoin_pid, 0);
    if (fd < 0) return -errno;
    if (hx_start_time((pid_t)plan->netjoin_pid) != plan->netjoin_start) {
        close(fd);
        return -ESRCH;
    }
    plan->netjoin_pidfd = fd;
    return 0;
}
