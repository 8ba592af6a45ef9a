/* The container child: runs between clone() and execve().
 *
 * It shares the address space of the Node process (CLONE_VM, see spawn.c) while Node's
 * threads keep running, so everything here obeys three rules:
 *   - raw system calls only (hx_sys below): glibc wrappers write errno into the TLS of the
 *     Node thread that called clone(), and lazily bound PLT calls take loader locks;
 *   - no malloc, no stdio, no locks, no writes to memory outside this stack;
 *   - never return into libc: failures are reported on the report socket, then exit_group.
 * test/unit/spawn-child-plt.test.mjs checks the compiled code for calls through the PLT.
 * The compiler must not turn loops into memset/memcpy calls: */
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn.h"

#define C static __attribute__((noinline, unused))

/* ---- raw system calls: return -errno, never touch errno ---- */
static inline long hx_sys6(long n, long a, long b, long c, long d, long e, long f) {
#if defined(__x86_64__)
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
#elif defined(__aarch64__)
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory");
    return x0;
#else
#error "hx: the container child needs raw syscalls for this architecture (add them to hx_sys6)"
#endif
}
#define SYS0(n) hx_sys6((n), 0, 0, 0, 0, 0, 0)
#define SYS1(n, a) hx_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define SYS2(n, a, b) hx_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define SYS3(n, a, b, c) hx_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define SYS4(n, a, b, c, d) hx_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define SYS5(n, a, b, c, d, e) hx_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)

#define ERRNO_ENOENT 2
#define ERRNO_EINTR 4
#define ERRNO_EACCES 13
#define ERRNO_EEXIST 17
#define ERRNO_ENOTDIR 20
#define ERRNO_EINVAL 22
#define ERRNO_ENOEXEC 8
#define ERRNO_EPERM 1
#define ERRNO_ENOSYS 38

/* ---- tiny string helpers (no libc) ---- */
C size_t c_strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

/* Append SRC to DST (capacity CAP, always terminated); returns the new length. */
C size_t c_append(char *dst, size_t len, size_t cap, const char *src) {
    while (*src && len + 1 < cap) dst[len++] = *src++;
    dst[len] = 0;
    return len;
}

C size_t c_append_uint(char *dst, size_t len, size_t cap, unsigned long v) {
    char tmp[24];
    int i = 0;
    do {
        tmp[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i < 23);
    while (i > 0 && len + 1 < cap) dst[len++] = tmp[--i];
    dst[len] = 0;
    return len;
}

C void c_zero(void *p, size_t n) {
    volatile char *c = p;
    while (n--) *c++ = 0;
}

C int c_has_slash(const char *s) {
    for (; *s; s++)
        if (*s == '/') return 1;
    return 0;
}

/* ---- reporting ---- */
C __attribute__((noreturn)) void c_exit(int code) {
    for (;;) SYS1(SYS_exit_group, code);
}

/* Tell the parent which step failed (and on what), then die. */
C __attribute__((noreturn)) void c_fail(struct hx_plan *p, int step, long err, const char *detail) {
    struct hx_child_msg msg;
    c_zero(&msg, sizeof msg);
    msg.type = HX_MSG_ERROR;
    msg.step = step;
    msg.err = (int32_t)(err < 0 ? -err : err);
    if (detail) c_append(msg.detail, 0, sizeof msg.detail, detail);
    SYS3(SYS_write, p->report_fd, &msg, sizeof msg);
    c_exit(1);
}

/* "/proc/self/fd/N": how the classic mount API is pointed at an fd. */
C void c_fdpath(char *buf, size_t cap, int fd) {
    size_t n = c_append(buf, 0, cap, "/proc/self/fd/");
    c_append_uint(buf, n, cap, (unsigned long)fd);
}

/* ---- path resolution inside the rootfs ---- */

/* openat2 with RESOLVE_IN_ROOT: symlinks (absolute or ..) never leave ROOTFD. */
C long c_open_in_root(int rootfd, const char *path, long flags) {
    struct open_how how;
    c_zero(&how, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return SYS4(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Open PATH (O_PATH) inside the root, creating it (and missing parents) when absent:
 * directories for parents, a directory or an empty file for the last component. */
C long c_ensure_in_root(int rootfd, const char *path, int as_file) {
    long fd = c_open_in_root(rootfd, path, O_PATH);
    if (fd != -ERRNO_ENOENT) return fd;

    char buf[4096], link[4096], tmp[4096];
    size_t len = c_append(buf, 0, sizeof buf, path);
    if (len >= sizeof buf - 1) return -ERRNO_EINVAL;

    /* Walk the components, creating what is missing. A dangling symlink on the way is
     * followed the way the kernel would inside the root (like runc's MkdirAllInRoot):
     * the path is rewritten with the link's text and the walk starts again. */
    for (int restarts = 0; restarts < 40; restarts++) {
        len = c_strlen(buf);
        while (len > 1 && buf[len - 1] == '/') buf[--len] = 0;
        long parent = c_open_in_root(rootfd, "/", O_PATH | O_DIRECTORY);
        if (parent < 0) return parent;
        size_t i = 0;
        int restart = 0;
        while (i < len) {
            while (buf[i] == '/') i++;
            if (!buf[i]) break;
            size_t start = i;
            while (buf[i] && buf[i] != '/') i++;
            int last = buf[i] == 0;
            char saved = buf[i];
            buf[i] = 0;
            const char *name = buf + start;
            long next = c_open_in_root(rootfd, buf, O_PATH);
            if (next == -ERRNO_ENOENT) {
                long r;
                if (last && as_file) {
                    r = SYS4(SYS_openat, parent, name, O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
                    if (r >= 0) SYS1(SYS_close, r);
                } else {
                    r = SYS3(SYS_mkdirat, parent, name, 0755);
                }
                if (r == -ERRNO_EEXIST) {
                    long n = SYS4(SYS_readlinkat, parent, name, link, sizeof link - 1);
                    if (n > 0) {
                        /* rebuild: (absolute link | dir of the link + link) + rest */
                        link[n] = 0;
                        buf[i] = saved;
                        size_t t = 0;
                        if (link[0] != '/') {
                            buf[start] = 0;
                            t = c_append(tmp, 0, sizeof tmp, buf);
                        }
                        t = c_append(tmp, t, sizeof tmp, link);
                        t = c_append(tmp, t, sizeof tmp, buf + i);
                        if (t >= sizeof tmp - 1) {
                            SYS1(SYS_close, parent);
                            return -ERRNO_EINVAL;
                        }
                        c_append(buf, 0, sizeof buf, tmp);
                        SYS1(SYS_close, parent);
                        restart = 1;
                        break;
                    }
                } else if (r < 0) {
                    SYS1(SYS_close, parent);
                    return r;
                }
                next = c_open_in_root(rootfd, buf, O_PATH);
            }
            buf[i] = saved;
            SYS1(SYS_close, parent);
            if (next < 0) return next;
            parent = next;
        }
        if (!restart) return parent;
    }
    return -40; /* ELOOP */
}

/* ---- mounts ---- */

/* The flags a bind remount must keep: in a user namespace the kernel locks nosuid, nodev,
 * noexec and the atime flags of mounts inherited from a more privileged namespace. */
C unsigned long c_locked_flags(const char *path) {
    struct statfs st;
    if (SYS2(SYS_statfs, path, &st) < 0) return 0;
    unsigned long f = 0;
    if (st.f_flags & ST_NOSUID) f |= MS_NOSUID;
    if (st.f_flags & ST_NODEV) f |= MS_NODEV;
    if (st.f_flags & ST_NOEXEC) f |= MS_NOEXEC;
    if (st.f_flags & ST_NOATIME) f |= MS_NOATIME;
    if (st.f_flags & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (st.f_flags & ST_RELATIME) f |= MS_RELATIME;
    if (!(st.f_flags & (ST_NOATIME | ST_RELATIME))) f |= MS_STRICTATIME;
    return f;
}

#define PROPAGATION_FLAGS (MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE)
#define REMOUNT_FLAGS (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME)

/* After a bind: apply FLAGS (ro, nosuid, ...) and propagation to the new mount at TARGET. */
C long c_bind_finish(int rootfd, const char *target, unsigned long flags) {
    if (!(flags & (REMOUNT_FLAGS | PROPAGATION_FLAGS))) return 0;
    /* Re-open: the fd taken before the bind names the covered directory, not the new mount. */
    long fd = c_open_in_root(rootfd, target, O_PATH);
    if (fd < 0) return fd;
    char proc[64];
    c_fdpath(proc, sizeof proc, (int)fd);
    long r = 0;
    if (flags & REMOUNT_FLAGS) {
        unsigned long f = MS_BIND | MS_REMOUNT | (flags & REMOUNT_FLAGS) | c_locked_flags(proc);
        if ((f & (MS_RELATIME | MS_NOATIME)) && !(flags & MS_STRICTATIME)) f &= ~(unsigned long)MS_STRICTATIME;
        r = SYS5(SYS_mount, 0, proc, 0, f, 0);
    }
    if (r == 0 && (flags & PROPAGATION_FLAGS)) r = SYS5(SYS_mount, 0, proc, 0, flags & (PROPAGATION_FLAGS | MS_REC), 0);
    SYS1(SYS_close, fd);
    return r;
}

/* Make every mount at and below TARGET read-only (docker 25's recursive read-only binds).
 * mount_setattr(AT_RECURSIVE) is atomic over the whole tree; kernels before 5.12 lack it. */
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
struct hx_mount_attr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};
#define HX_MOUNT_ATTR_RDONLY 0x00000001
#define HX_AT_RECURSIVE 0x8000
C long c_readonly_recursive(int rootfd, const char *target) {
    long fd = c_open_in_root(rootfd, target, O_PATH);
    if (fd < 0) return fd;
    struct hx_mount_attr attr;
    c_zero(&attr, sizeof attr);
    attr.attr_set = HX_MOUNT_ATTR_RDONLY;
    long r = hx_sys6(SYS_mount_setattr, fd, (long)"", AT_EMPTY_PATH | HX_AT_RECURSIVE, (long)&attr, sizeof attr, 0);
    SYS1(SYS_close, fd);
    return r;
}

C long c_is_dir_fd(long fd) {
    struct stat st;
    long r = SYS4(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH);
    if (r < 0) return r;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

C long c_is_dir_path(const char *path) {
    struct stat st;
    long r = SYS4(SYS_newfstatat, AT_FDCWD, path, &st, 0);
    if (r < 0) return r;
    return S_ISDIR(st.st_mode) ? 1 : 0;
}

C void c_do_mount(struct hx_plan *p, int rootfd, const struct hx_mount *m) {
    char proc[64];
    unsigned long flags = m->flags;
    int optional = (m->bits & HX_MNTF_OPTIONAL) != 0;
    long fd, r;

    switch (m->kind) {
    case HX_MNT_MOUNT: {
        int as_file = (m->bits & HX_MNTF_FILE) != 0;
        if ((flags & MS_BIND) && m->source[0]) {
            long isdir = c_is_dir_path(m->source);
            if (isdir < 0) {
                if (optional) return;
                c_fail(p, HX_STEP_MOUNT, isdir, m->source);
            }
            as_file = !isdir;
        }
        fd = (m->bits & HX_MNTF_NOCREATE) ? c_open_in_root(rootfd, m->target, O_PATH) : c_ensure_in_root(rootfd, m->target, as_file);
        if (fd < 0) {
            if (optional || ((m->bits & HX_MNTF_NOCREATE) && fd == -ERRNO_ENOENT)) return;
            c_fail(p, HX_STEP_MOUNT, fd, m->target);
        }
        c_fdpath(proc, sizeof proc, (int)fd);
        if (flags & MS_BIND) {
            r = SYS5(SYS_mount, m->source, proc, 0, MS_BIND | (flags & MS_REC), 0);
            if (r == 0) r = c_bind_finish(rootfd, m->target, flags & ~(unsigned long)(MS_BIND | MS_REC));
            if (r == 0 && (m->bits & HX_MNTF_RRO)) {
                long rr = c_readonly_recursive(rootfd, m->target);
                /* docker: without kernel support only the top is read-only, unless it was required */
                if (rr < 0 && (rr != -ERRNO_ENOSYS || (m->bits & HX_MNTF_RRO_REQUIRED))) r = rr;
            }
        } else {
            r = SYS5(SYS_mount, m->fstype, proc, m->fstype, flags & ~(unsigned long)PROPAGATION_FLAGS, m->data[0] ? m->data : 0);
            if (r < 0 && (m->bits & HX_MNTF_SYSFS) && (r == -ERRNO_EPERM || r == -ERRNO_EACCES)) {
                /* sysfs refused (a network namespace we do not own): show the host's, read-only. */
                r = SYS5(SYS_mount, "/sys", proc, 0, MS_BIND | MS_REC, 0);
                if (r == 0) r = c_bind_finish(rootfd, m->target, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
            }
            if (r == 0 && (flags & PROPAGATION_FLAGS)) r = c_bind_finish(rootfd, m->target, flags & (PROPAGATION_FLAGS | MS_REC));
        }
        SYS1(SYS_close, fd);
        if (r < 0 && !optional) c_fail(p, HX_STEP_MOUNT, r, m->target);
        return;
    }
    case HX_MNT_SYMLINK: {
        /* target = "/dir/name": resolve dir in the root, create the link there */
        char dir[4096];
        size_t len = c_append(dir, 0, sizeof dir, m->target);
        size_t slash = len;
        while (slash > 0 && dir[slash - 1] != '/') slash--;
        const char *name = m->target + slash;
        dir[slash > 1 ? slash - 1 : 1] = 0;
        fd = c_ensure_in_root(rootfd, dir, 0);
        if (fd < 0) c_fail(p, HX_STEP_SYMLINK, fd, m->target);
        r = SYS3(SYS_symlinkat, m->source, fd, name);
        SYS1(SYS_close, fd);
        if (r < 0 && r != -ERRNO_EEXIST && !optional) c_fail(p, HX_STEP_SYMLINK, r, m->target);
        return;
    }
    case HX_MNT_MASK: {
        fd = c_open_in_root(rootfd, m->target, O_PATH);
        if (fd == -ERRNO_ENOENT || fd == -ERRNO_ENOTDIR) return;
        if (fd < 0) c_fail(p, HX_STEP_MASK, fd, m->target);
        c_fdpath(proc, sizeof proc, (int)fd);
        long isdir = c_is_dir_fd(fd);
        if (isdir > 0)
            r = SYS5(SYS_mount, "tmpfs", proc, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0");
        else
            r = SYS5(SYS_mount, "/dev/null", proc, 0, MS_BIND, 0);
        SYS1(SYS_close, fd);
        if (r < 0 && !optional) c_fail(p, HX_STEP_MASK, r, m->target);
        return;
    }
    case HX_MNT_READONLY: {
        fd = c_open_in_root(rootfd, m->target, O_PATH);
        if (fd == -ERRNO_ENOENT || fd == -ERRNO_ENOTDIR) return;
        if (fd < 0) c_fail(p, HX_STEP_READONLY, fd, m->target);
        c_fdpath(proc, sizeof proc, (int)fd);
        r = SYS5(SYS_mount, proc, proc, 0, MS_BIND | MS_REC, 0);
        SYS1(SYS_close, fd);
        if (r == 0) r = c_bind_finish(rootfd, m->target, MS_RDONLY | (flags & REMOUNT_FLAGS));
        if (r < 0 && !optional) c_fail(p, HX_STEP_READONLY, r, m->target);
        return;
    }
    case HX_MNT_MKDIR:
        fd = c_ensure_in_root(rootfd, m->target, 0);
        if (fd < 0) {
            if (optional) return;
            c_fail(p, HX_STEP_CWD, fd, m->target);
        }
        SYS1(SYS_close, fd);
        return;
    default:
        c_fail(p, HX_STEP_MOUNT, ERRNO_EINVAL, m->target);
    }
}

/* Make ROOTFS the root: pivot_root(".", ".") then detach the old root stacked on top of it
 * (runc's way: no directory for the old root is needed inside the image). */
C void c_pivot(struct hx_plan *p, int rootfd) {
    long oldroot = SYS4(SYS_openat, AT_FDCWD, "/", O_DIRECTORY | O_RDONLY | O_CLOEXEC, 0);
    if (oldroot < 0) c_fail(p, HX_STEP_PIVOT, oldroot, "/");
    long r = SYS1(SYS_fchdir, rootfd);
    if (r == 0) r = SYS2(SYS_pivot_root, ".", ".");
    if (r < 0) c_fail(p, HX_STEP_PIVOT, r, p->rootfs);
    r = SYS1(SYS_fchdir, oldroot);
    /* Keep the unmount of the old root from propagating to the host's mounts. */
    if (r == 0) r = SYS5(SYS_mount, 0, ".", 0, MS_SLAVE | MS_REC, 0);
    if (r == 0) r = SYS2(SYS_umount2, ".", MNT_DETACH);
    if (r == 0) r = SYS1(SYS_chdir, "/");
    SYS1(SYS_close, oldroot);
    if (r < 0) c_fail(p, HX_STEP_PIVOT, r, "old root");
}

/* ---- terminal: a pty of the container's own devpts, master handed to the parent ---- */
C void c_setup_tty(struct hx_plan *p) {
    long master = SYS4(SYS_openat, AT_FDCWD, "/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
    if (master < 0) c_fail(p, HX_STEP_TTY, master, "/dev/pts/ptmx");
    int unlock = 0;
    long r = SYS3(SYS_ioctl, master, TIOCSPTLCK, &unlock);
    if (r < 0) c_fail(p, HX_STEP_TTY, r, "unlockpt");
    long slave = SYS3(SYS_ioctl, master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    if (slave < 0) c_fail(p, HX_STEP_TTY, slave, "open slave");
    uint32_t uid = p->has_user ? p->uid : 0;
    SYS3(SYS_fchown, slave, uid, p->tty_gid);
    SYS2(SYS_fchmod, slave, 0620);

    /* /dev/console shows the same terminal (docker does this too); best effort. */
    char proc[64];
    c_fdpath(proc, sizeof proc, (int)slave);
    long cfd = SYS4(SYS_openat, AT_FDCWD, "/dev/console", O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (cfd >= 0) {
        SYS1(SYS_close, cfd);
        SYS5(SYS_mount, proc, "/dev/console", 0, MS_BIND, 0);
    }

    struct hx_child_msg msg;
    c_zero(&msg, sizeof msg);
    msg.type = HX_MSG_TTY;
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    c_zero(&control, sizeof control);
    struct iovec iov = {.iov_base = &msg, .iov_len = sizeof msg};
    struct msghdr mh;
    c_zero(&mh, sizeof mh);
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control.buf;
    mh.msg_controllen = sizeof control.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    int mfd = (int)master;
    char *dst = (char *)CMSG_DATA(cm);
    const char *src = (const char *)&mfd;
    for (size_t i = 0; i < sizeof(int); i++) dst[i] = src[i];
    r = SYS3(SYS_sendmsg, p->report_fd, &mh, 0);
    if (r < 0) c_fail(p, HX_STEP_TTY, r, "send terminal");
    SYS1(SYS_close, master);

    r = SYS3(SYS_ioctl, slave, TIOCSCTTY, 0);
    if (r < 0) c_fail(p, HX_STEP_TTY, r, "TIOCSCTTY");
    for (int i = 0; i < 3; i++) {
        if (p->stdio[i] != HX_FD_TTY) continue;
        r = SYS3(SYS_dup3, slave, i, 0);
        if (r < 0) c_fail(p, HX_STEP_TTY, r, "dup");
    }
    if (slave > 2) SYS1(SYS_close, slave);
}

/* ---- stdio: the parent's fds (or /dev/null) become 0, 1, 2; everything else closes at exec ---- */
C void c_setup_stdio(struct hx_plan *p) {
    long tmp[3];
    for (int i = 0; i < 3; i++) {
        int src = p->stdio[i];
        if (src == HX_FD_TTY) {
            tmp[i] = -1;
            continue;
        }
        if (src == HX_FD_NULL)
            tmp[i] = SYS4(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
        else
            tmp[i] = SYS3(SYS_fcntl, src, F_DUPFD_CLOEXEC, 10);
        if (tmp[i] < 0) c_fail(p, HX_STEP_STDIO, tmp[i], "stdio");
    }
    for (int i = 0; i < 3; i++) {
        if (tmp[i] < 0) continue;
        long r = SYS3(SYS_dup3, tmp[i], i, 0);
        if (r < 0) c_fail(p, HX_STEP_STDIO, r, "dup");
        SYS1(SYS_close, tmp[i]);
        /* Node puts pipes it touched in non-blocking mode; the program expects blocking. */
        long fl = SYS2(SYS_fcntl, i, F_GETFL);
        if (fl >= 0 && (fl & O_NONBLOCK)) SYS3(SYS_fcntl, i, F_SETFL, fl & ~O_NONBLOCK);
    }
    /* Node's own fds must not reach the container. */
    long r = SYS3(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
    if (r < 0) {
        for (int fd = 3; fd < 65536; fd++) SYS3(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    }
}

/* ---- exec: into a running container's namespaces ----
 * The parent already put this child in the container's pid namespace (setns on its own
 * thread before clone: a pid namespace can only be entered by the next child). The rest
 * join here, in one call on the pidfd; joining the mount namespace also makes its root
 * (the container's pivoted root) our root and cwd. */
C void c_join(struct hx_plan *p) {
    long r = SYS2(SYS_setns, p->join_pidfd, CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP);
    if (r < 0) c_fail(p, HX_STEP_JOIN, r, "setns");
    r = SYS1(SYS_chdir, "/");
    if (r < 0) c_fail(p, HX_STEP_JOIN, r, "/");
}

/* ---- network: bring up lo in the new network namespace ---- */
C void c_loopback_up(struct hx_plan *p) {
    long s = SYS3(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) c_fail(p, HX_STEP_LOOPBACK, s, "socket");
    struct ifreq ifr;
    c_zero(&ifr, sizeof ifr);
    ifr.ifr_name[0] = 'l';
    ifr.ifr_name[1] = 'o';
    long r = SYS3(SYS_ioctl, s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP;
        r = SYS3(SYS_ioctl, s, SIOCSIFFLAGS, &ifr);
    }
    SYS1(SYS_close, s);
    if (r < 0) c_fail(p, HX_STEP_LOOPBACK, r, "lo");
}

/* ---- capabilities ---- */
C long c_capset(uint64_t eff, uint64_t perm, uint64_t inh) {
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)eff;
    data[1].effective = (uint32_t)(eff >> 32);
    data[0].permitted = (uint32_t)perm;
    data[1].permitted = (uint32_t)(perm >> 32);
    data[0].inheritable = (uint32_t)inh;
    data[1].inheritable = (uint32_t)(inh >> 32);
    return SYS2(SYS_capset, &hdr, data);
}

/* ---- command lookup: PATH inside the container, like runc (exec.LookPath) ---- */
C long c_is_executable(const char *path) {
    struct stat st;
    long r = SYS4(SYS_newfstatat, AT_FDCWD, path, &st, 0);
    if (r < 0) return r;
    if (S_ISDIR(st.st_mode)) return -ERRNO_EACCES;
    if (!(st.st_mode & 0111)) return -ERRNO_EACCES;
    return 0;
}

/* Fill OUT with the program to execute; on failure report 127/126-class errors. */
C void c_lookup(struct hx_plan *p, const char *cmd, char *out, size_t cap) {
    if (!cmd[0]) c_fail(p, HX_STEP_LOOKUP, ERRNO_ENOENT, cmd);
    if (c_has_slash(cmd)) {
        c_append(out, 0, cap, cmd);
        long r = c_is_executable(out);
        if (r < 0) c_fail(p, HX_STEP_LOOKUP, r == -ERRNO_ENOENT || r == -ERRNO_ENOTDIR ? ERRNO_ENOENT : ERRNO_EACCES, cmd);
        return;
    }
    const char *path = p->path_env ? p->path_env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    long denied = 0;
    const char *s = path;
    for (;;) {
        const char *e = s;
        while (*e && *e != ':') e++;
        size_t n = 0;
        if (e == s) {
            n = c_append(out, 0, cap, ".");
        } else {
            while (s < e && n + 1 < cap) out[n++] = *s++;
            out[n] = 0;
        }
        n = c_append(out, n, cap, "/");
        c_append(out, n, cap, cmd);
        long r = c_is_executable(out);
        if (r == 0) return;
        if (r == -ERRNO_EACCES && !denied) denied = 1;
        if (!*e) break;
        s = e + 1;
    }
    c_fail(p, HX_STEP_LOOKUP, denied ? ERRNO_EACCES : ERRNO_ENOENT, cmd);
}

/* ---- the child ---- */
int hx_child_main(void *arg) {
    struct hx_plan *p = arg;
    long r;

    /* Node's handlers live in this (shared) memory: back to defaults before anything can
     * unblock a signal. The mask stays full (inherited from the parent) until execve. */
    struct {
        unsigned long handler, flags, restorer, mask;
    } sa;
    c_zero(&sa, sizeof sa);
    for (int sig = 1; sig <= 64; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        SYS4(SYS_rt_sigaction, sig, &sa, 0, 8);
    }
    if (p->options & HX_OPT_PDEATHSIG) SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);

    /* Own session: terminal signals reach hx, which forwards them once. */
    SYS0(SYS_setsid);
    c_setup_stdio(p);
    SYS1(SYS_umask, 022);
    if (p->join_pid) {
        c_join(p);
        goto joined;
    }
    if (p->netjoin_pidfd >= 0) {
        /* --network container:CTR: CTR's interfaces, routes and loopback */
        r = SYS2(SYS_setns, p->netjoin_pidfd, CLONE_NEWNET);
        if (r < 0) c_fail(p, HX_STEP_JOIN, r, "the network of the container");
    }

    /* Mounts made here must not propagate back to the host (or the holder). */
    r = SYS5(SYS_mount, 0, "/", 0, MS_SLAVE | MS_REC, 0);
    if (r < 0) c_fail(p, HX_STEP_PROPAGATION, r, "/");
    r = SYS5(SYS_mount, p->rootfs, p->rootfs, 0, MS_BIND | MS_REC, 0);
    if (r < 0) c_fail(p, HX_STEP_ROOTFS, r, p->rootfs);
    long rootfd = SYS4(SYS_openat, AT_FDCWD, p->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (rootfd < 0) c_fail(p, HX_STEP_ROOTFS, rootfd, p->rootfs);

    for (size_t i = 0; i < p->nmounts; i++) c_do_mount(p, (int)rootfd, &p->mounts[i]);

    c_pivot(p, (int)rootfd);
    SYS1(SYS_close, rootfd);

    if (p->options & HX_OPT_READONLY_ROOT) {
        unsigned long f = MS_BIND | MS_REMOUNT | MS_RDONLY | c_locked_flags("/");
        r = SYS5(SYS_mount, 0, "/", 0, f, 0);
        if (r < 0) c_fail(p, HX_STEP_ROOTFS, r, "read-only /");
    }
    if (p->hostname) {
        r = SYS2(SYS_sethostname, p->hostname, c_strlen(p->hostname));
        if (r < 0) c_fail(p, HX_STEP_HOSTNAME, r, p->hostname);
    }
    if (p->options & HX_OPT_LOOPBACK_UP) c_loopback_up(p);
joined:
    if (p->options & HX_OPT_TTY) c_setup_tty(p);
    if (p->cwd) {
        r = SYS1(SYS_chdir, p->cwd);
        if (r < 0) c_fail(p, HX_STEP_CWD, r, p->cwd);
    }
    for (size_t i = 0; i < p->nrlimits; i++) {
        struct {
            uint64_t cur, max;
        } lim = {p->rlimits[i].soft, p->rlimits[i].hard};
        r = SYS4(SYS_prlimit64, 0, p->rlimits[i].resource, &lim, 0);
        if (r < 0) {
            char what[16];
            c_append_uint(what, 0, sizeof what, p->rlimits[i].resource);
            c_fail(p, HX_STEP_RLIMIT, r, what);
        }
    }

    /* Identity and capabilities. Loading a seccomp filter without no_new_privs needs
     * CAP_SYS_ADMIN, so when the final set lacks it, it is kept until the filter is in. */
    int need_admin_for_seccomp = p->seccomp && !(p->options & HX_OPT_NO_NEW_PRIVS);
    uint64_t admin = (uint64_t)1 << CAP_SYS_ADMIN;
    if (p->has_caps) {
        for (uint32_t cap = 0; cap <= p->cap_last; cap++) {
            if (p->cap_bounding & ((uint64_t)1 << cap)) continue;
            r = SYS2(SYS_prctl, PR_CAPBSET_DROP, cap);
            if (r < 0 && r != -ERRNO_EINVAL) c_fail(p, HX_STEP_CAPS, r, "bounding set");
        }
    }
    if (p->has_user) {
        SYS2(SYS_prctl, PR_SET_KEEPCAPS, 1);
        if (p->options & HX_OPT_SETGROUPS) {
            r = SYS2(SYS_setgroups, p->ngroups, p->gids);
            if (r < 0) c_fail(p, HX_STEP_SETGROUPS, r, 0);
        }
        r = SYS3(SYS_setresgid, p->gid, p->gid, p->gid);
        if (r < 0) c_fail(p, HX_STEP_SETGID, r, 0);
        r = SYS3(SYS_setresuid, p->uid, p->uid, p->uid);
        if (r < 0) c_fail(p, HX_STEP_SETUID, r, 0);
        SYS2(SYS_prctl, PR_SET_KEEPCAPS, 0);
        /* A credential change clears the parent-death signal: set it again. */
        if (p->options & HX_OPT_PDEATHSIG) SYS2(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
    }
    if (p->has_caps) {
        uint64_t extra = need_admin_for_seccomp ? admin : 0;
        r = c_capset(p->cap_effective | extra, p->cap_permitted | extra, p->cap_inheritable);
        if (r < 0) c_fail(p, HX_STEP_CAPS, r, "capset");
        r = SYS5(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
        if (r < 0 && r != -ERRNO_EINVAL) c_fail(p, HX_STEP_CAPS, r, "ambient");
        for (uint32_t cap = 0; cap <= p->cap_last; cap++) {
            if (!(p->cap_ambient & ((uint64_t)1 << cap))) continue;
            r = SYS5(SYS_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0);
            if (r < 0) c_fail(p, HX_STEP_CAPS, r, "ambient raise");
        }
    }

    /* The program (or the init that will run it), found before the point of no return so
     * a missing command is an error report, not an exit status. */
    char prog[4096];
    c_lookup(p, p->argv[0], prog, sizeof prog);
    const char *file = prog;
    char **argv = p->argv;
    if (p->init) {
        /* init's argv was laid out by the parent as: init, "--", <slot for the program>, args... */
        argv = p->argv - 3;
        argv[2] = prog;
        file = p->init;
    }

    /* Wait for the go-ahead: the parent may set up networking or cgroups first. */
    char go = 0;
    do r = SYS3(SYS_read, p->start_fd, &go, 1);
    while (r == -ERRNO_EINTR);
    if (r != 1) c_exit(1); /* the parent went away or aborted */

    /* Into its cgroups (v1): a task moving itself ("0" in `tasks`) skips the kernel's
     * threadgroup lock and its RCU grace period, which a parent's write of our pid waits for. */
    for (uint32_t i = 0; i < p->n_cgroup_fds; i++) {
        r = SYS3(SYS_write, p->cgroup_fds[i], "0", 1);
        if (r < 0) c_fail(p, HX_STEP_START, r, "(join its cgroup)");
    }

    if (p->options & HX_OPT_NO_NEW_PRIVS) {
        r = SYS5(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        if (r < 0) c_fail(p, HX_STEP_NO_NEW_PRIVS, r, 0);
    }
    if (p->seccomp) {
        struct sock_fprog prog_bpf = {.len = (unsigned short)(p->seccomp_len / sizeof(struct sock_filter)),
                                      .filter = (struct sock_filter *)p->seccomp};
        r = SYS3(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog_bpf);
        if (r < 0) c_fail(p, HX_STEP_SECCOMP, r, 0);
        if (need_admin_for_seccomp && p->has_caps) {
            r = c_capset(p->cap_effective, p->cap_permitted, p->cap_inheritable);
            if (r < 0) c_fail(p, HX_STEP_CAPS, r, "capset after seccomp");
        }
    }

    uint64_t empty = 0;
    SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8);
    r = SYS3(SYS_execve, file, argv, p->envp);
    /* Still here: put the mask back so nothing runs a handler on this stack. */
    uint64_t full = ~(uint64_t)0;
    SYS4(SYS_rt_sigprocmask, SIG_SETMASK, &full, 0, 8);
    c_fail(p, HX_STEP_EXEC, r, p->init ? p->init : p->argv[0]);
}

/* ---- the tether: no container outlives the hx that runs it in the foreground ----
 *
 * The parent-death signal alone is not enough: the kernel clears it on any uid or gid
 * change (su, gosu, setpriv entrypoints) and the container may clear it itself. So
 * hx_spawn also clones this small watcher (CLONE_VM, its own stack, the same rules as the
 * child: raw system calls only). It keeps every signal blocked, leaves hx's session, and
 * waits on two fds: the read end of a pipe whose write end only hx holds, and the
 * container's pidfd. When the pipe reaches EOF (hx exited or was killed, by any signal)
 * while the container still runs, it SIGKILLs the container's pid 1, which takes the whole
 * pid namespace with it. The container cannot see or signal it (another pid namespace). */
int hx_tether_main(void *arg) {
    struct hx_tether_args *a = arg;
    int t = a->tether_fd, pidfd = a->pidfd;
    /* Keep only the two fds (this is a copy of Node's table, not Node's). */
    int lo = t < pidfd ? t : pidfd, hi = t < pidfd ? pidfd : t;
    if (lo > 0) SYS3(SYS_close_range, 0, lo - 1, 0);
    if (hi > lo + 1) SYS3(SYS_close_range, lo + 1, hi - 1, 0);
    SYS3(SYS_close_range, hi + 1, ~0U, 0);
    SYS0(SYS_setsid); /* a kill of hx's process group does not reach it */
    SYS2(SYS_prctl, PR_SET_NAME, "hx-tether"); /* what ps shows (its cmdline is Node's memory) */
    struct {
        int fd;
        short events, revents;
    } fds[2] = {{t, 1 /* POLLIN */, 0}, {pidfd, 1, 0}};
    for (;;) {
        fds[0].revents = fds[1].revents = 0;
        long r = SYS5(SYS_ppoll, fds, 2, 0, 0, 8);
        if (r < 0 && r != -ERRNO_EINTR) c_exit(1);
        if (fds[1].revents) c_exit(0); /* the container exited: nothing to watch */
        if (fds[0].revents) {
            char b;
            r = SYS3(SYS_read, t, &b, 1);
            if (r == -ERRNO_EINTR) continue;
            if (r == 0 || r < 0) {
                SYS4(SYS_pidfd_send_signal, pidfd, SIGKILL, 0, 0);
                c_exit(0);
            }
        }
    }
}
