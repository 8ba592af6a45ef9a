/* libhxns: copy a directory tree between two directory fds, never following a symlink
 * out of either side.
 *
 * Used for docker's volume copy-up (what an image has at a volume's path is copied into
 * the new volume) and for `hx cp`. Both sides may be controlled by a container (an image's
 * layers, a running container's root), so every step is fd-relative: a child of the
 * source is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) as an O_PATH fd,
 * its type comes from fstat of that fd, and data and metadata are read through it (or a
 * reopen of it through /proc/self/fd, which names the same inode). Destination entries
 * are created with *at() calls relative to the destination directory's fd, with O_EXCL
 * and O_NOFOLLOW, so a symlink swapped in while the copy runs is never written through.
 * This runs in the Node process (ordinary libc), not in the container child. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "tree.h"

#define MAX_DEPTH 512

struct link_entry {
    dev_t dev;
    ino_t ino;
    char *path; /* below the destination root */
};

struct copy_ctx {
    const struct hx_copy_opts *o;
    int dst_root;
    struct link_entry *links;
    size_t nlinks, cap;
    char path[PATH_MAX]; /* destination path of the entry being copied, below dst_root */
    size_t pathlen;
    struct hx_copy_stats *stats;
    char *err;
    size_t errlen;
};

static int fail(struct copy_ctx *c, int err, const char *what) {
    snprintf(c->err, c->errlen, "%s %s: %s", what, c->pathlen ? c->path : ".", strerror(err));
    return -err;
}

static long open_beneath(int dirfd, const char *name, int flags) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return syscall(SYS_openat2, dirfd, name, &how, sizeof how);
}

/* Reopen an O_PATH fd with real access: /proc/self/fd/N names exactly its inode. */
static int reopen(int pathfd, int flags) {
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", pathfd);
    return open(proc, flags | O_CLOEXEC);
}

static int push_name(struct copy_ctx *c, const char *name, size_t *saved) {
    *saved = c->pathlen;
    size_t n = strlen(name);
    if (c->pathlen + n + 2 >= sizeof c->path) return -ENAMETOOLONG;
    if (c->pathlen) c->path[c->pathlen++] = '/';
    memcpy(c->path + c->pathlen, name, n + 1);
    c->pathlen += n;
    return 0;
}

static void pop_name(struct copy_ctx *c, size_t saved) {
    c->pathlen = saved;
    c->path[saved] = 0;
}

static int overlay_xattr(const char *name) {
    /* trusted.overlay.*, user.overlay.*: the storage driver's, never the content's */
    const char *dot = strchr(name, '.');
    return dot && strncmp(dot, ".overlay.", 9) == 0;
}

/* Copy the xattrs of fd SRC onto fd DST (both opened for real, not O_PATH). */
static void copy_xattrs(struct copy_ctx *c, int src, int dst) {
    char names[8192], value[65536];
    ssize_t n = flistxattr(src, names, sizeof names);
    if (n <= 0) return;
    for (char *name = names; name < names + n; name += strlen(name) + 1) {
        if (overlay_xattr(name)) continue;
        ssize_t v = fgetxattr(src, name, value, sizeof value);
        if (v < 0) continue;
        if (fsetxattr(dst, name, value, (size_t)v, 0) < 0) c->stats->xattrs_skipped++;
    }
}

static int set_owner_mode_times(struct copy_ctx *c, int fd, const struct stat *st) {
    uid_t uid = c->o->uid >= 0 ? (uid_t)c->o->uid : st->st_uid;
    gid_t gid = c->o->gid >= 0 ? (gid_t)c->o->gid : st->st_gid;
    if (fchown(fd, uid, gid) < 0) {
        if (!(c->o->flags & HX_COPY_IGNORE_CHOWN)) return fail(c, errno, "chown");
        c->stats->chown_skipped++;
    }
    if (fchmod(fd, st->st_mode & 07777) < 0) return fail(c, errno, "chmod");
    struct timespec times[2] = {st->st_atim, st->st_mtim};
    futimens(fd, times);
    return 0;
}

static int copy_data(struct copy_ctx *c, int src, int dst, off_t size) {
    off_t left = size;
    int plain = 0;
    while (left > 0 && !plain) {
        ssize_t n = copy_file_range(src, NULL, dst, NULL, (size_t)(left > (1 << 30) ? (1 << 30) : left), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            plain = 1;
            break;
        }
        if (n < 0) return fail(c, errno, "copy");
        if (n == 0) break; /* the file shrank while we copied */
        left -= n;
        c->stats->bytes += (uint64_t)n;
    }
    if (!plain) return 0;
    static __thread char buf[1 << 16];
    for (;;) {
        ssize_t n = read(src, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(c, errno, "read");
        if (n == 0) return 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(dst, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return fail(c, errno, "write");
            off += w;
        }
        c->stats->bytes += (uint64_t)n;
    }
}

/* NAME in DSTFD is in the way of a new entry: remove it when asked to replace, unless a
 * directory would be replaced by a non-directory or the other way round (docker cp's
 * NoOverwriteDirNonDir). */
static int clear_way(struct copy_ctx *c, int dstfd, const char *name, int new_is_dir) {
    if (!(c->o->flags & HX_COPY_REPLACE)) return fail(c, EEXIST, "create");
    struct stat st;
    if (fstatat(dstfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return fail(c, errno, "stat");
    if (S_ISDIR(st.st_mode)) {
        if (new_is_dir) return 1; /* merge into it */
        snprintf(c->err, c->errlen, "cannot overwrite directory %s with non-directory", c->path);
        return -EISDIR;
    }
    if (new_is_dir) {
        snprintf(c->err, c->errlen, "cannot overwrite non-directory %s with directory", c->path);
        return -ENOTDIR;
    }
    if (unlinkat(dstfd, name, 0) < 0) return fail(c, errno, "unlink");
    return 0;
}

static int record_link(struct copy_ctx *c, const struct stat *st) {
    if (c->nlinks == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        struct link_entry *n = realloc(c->links, cap * sizeof *n);
        if (!n) return -ENOMEM;
        c->links = n;
        c->cap = cap;
    }
    char *p = strdup(c->path);
    if (!p) return -ENOMEM;
    c->links[c->nlinks++] = (struct link_entry){st->st_dev, st->st_ino, p};
    return 0;
}

/* A second name of an inode already copied: link to the copy (a hardlink stays one). */
static int try_link(struct copy_ctx *c, int dstfd, const char *name, const struct stat *st) {
    if (st->st_nlink < 2 || !(c->o->flags & HX_COPY_HARDLINKS)) return 0;
    for (size_t i = 0; i < c->nlinks; i++) {
        if (c->links[i].dev != st->st_dev || c->links[i].ino != st->st_ino) continue;
        long first = open_beneath(c->dst_root, c->links[i].path, O_PATH);
        if (first < 0) return 0; /* the first copy is gone: copy the data again */
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%ld", first);
        int r = linkat(AT_FDCWD, proc, dstfd, name, AT_SYMLINK_FOLLOW);
        int err = errno;
        close((int)first);
        if (r < 0) return fail(c, err, "link");
        c->stats->files++;
        return 1;
    }
    return 0;
}

static int copy_dir(struct copy_ctx *c, int srcfd, int dstfd, int depth);

/* Copy the entry behind the O_PATH fd SRC (closed here) as NAME in DSTFD. */
static int copy_opened(struct copy_ctx *c, int src, int dstfd, const char *name, int depth) {
    int r = 0, fd = -1, out = -1;
    struct stat st;
    if (fstat(src, &st) < 0) {
        r = fail(c, errno, "stat");
        goto done;
    }
    if (S_ISDIR(st.st_mode)) {
        if (depth >= MAX_DEPTH) {
            r = fail(c, ELOOP, "descend into");
            goto done;
        }
        fd = reopen(src, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            r = fail(c, errno, "open");
            goto done;
        }
        if (mkdirat(dstfd, name, 0700) < 0) {
            if (errno != EEXIST) {
                r = fail(c, errno, "mkdir");
                goto done;
            }
            r = clear_way(c, dstfd, name, 1);
            if (r < 0) goto done;
        }
        out = (int)open_beneath(dstfd, name, O_RDONLY | O_DIRECTORY);
        if (out < 0) {
            r = fail(c, errno, "open");
            goto done;
        }
        r = copy_dir(c, fd, out, depth + 1);
        if (r == 0) {
            if (c->o->flags & HX_COPY_XATTRS) copy_xattrs(c, fd, out);
            r = set_owner_mode_times(c, out, &st);
        }
        c->stats->dirs++;
        goto done;
    }
    if (S_ISREG(st.st_mode)) {
        r = try_link(c, dstfd, name, &st);
        if (r != 0) goto done;
        fd = reopen(src, O_RDONLY | O_NOCTTY);
        if (fd < 0) {
            r = fail(c, errno, "open");
            goto done;
        }
        out = openat(dstfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0 && errno == EEXIST) {
            r = clear_way(c, dstfd, name, 0);
            if (r < 0) goto done;
            out = openat(dstfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        }
        if (out < 0) {
            r = fail(c, errno, "create");
            goto done;
        }
        r = copy_data(c, fd, out, st.st_size);
        if (r == 0 && (c->o->flags & HX_COPY_XATTRS)) copy_xattrs(c, fd, out);
        if (r == 0) r = set_owner_mode_times(c, out, &st);
        if (r == 0 && st.st_nlink > 1 && (c->o->flags & HX_COPY_HARDLINKS)) r = record_link(c, &st);
        c->stats->files++;
        goto done;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlinkat(src, "", target, sizeof target - 1);
        if (n < 0) {
            r = fail(c, errno, "readlink");
            goto done;
        }
        target[n] = 0;
        if (symlinkat(target, dstfd, name) < 0) {
            if (errno != EEXIST || (r = clear_way(c, dstfd, name, 0)) < 0 || symlinkat(target, dstfd, name) < 0) {
                if (r == 0) r = fail(c, errno, "symlink");
                goto done;
            }
        }
        uid_t uid = c->o->uid >= 0 ? (uid_t)c->o->uid : st.st_uid;
        gid_t gid = c->o->gid >= 0 ? (gid_t)c->o->gid : st.st_gid;
        if (fchownat(dstfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
            if (!(c->o->flags & HX_COPY_IGNORE_CHOWN)) {
                r = fail(c, errno, "chown");
                goto done;
            }
            c->stats->chown_skipped++;
        }
        struct timespec times[2] = {st.st_atim, st.st_mtim};
        utimensat(dstfd, name, times, AT_SYMLINK_NOFOLLOW);
        c->stats->files++;
        goto done;
    }
    /* fifos and device nodes: made where the kernel lets us (devices only rootful);
     * sockets belong to a process, not to a copy. */
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        if (mknodat(dstfd, name, st.st_mode & (S_IFMT | 07777), st.st_rdev) < 0) {
            c->stats->special_skipped++;
            goto done;
        }
        uid_t uid = c->o->uid >= 0 ? (uid_t)c->o->uid : st.st_uid;
        gid_t gid = c->o->gid >= 0 ? (gid_t)c->o->gid : st.st_gid;
        if (fchownat(dstfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) c->stats->chown_skipped++;
        c->stats->files++;
        goto done;
    }
    c->stats->special_skipped++;
done:
    if (fd >= 0) close(fd);
    if (out >= 0) close(out);
    close(src);
    return r;
}

static int copy_entry(struct copy_ctx *c, int srcfd, int dstfd, const char *name, int depth) {
    long pfd = open_beneath(srcfd, name, O_PATH);
    if (pfd < 0) {
        if (errno == ENOENT) return 0; /* removed while we copy */
        return fail(c, errno, "open");
    }
    return copy_opened(c, (int)pfd, dstfd, name, depth);
}

static int copy_dir(struct copy_ctx *c, int srcfd, int dstfd, int depth) {
    /* Read the names through a duplicate: closedir closes the fd it is given. */
    int lfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
    if (lfd < 0) return fail(c, errno, "open");
    (void)lseek(lfd, 0, SEEK_SET); /* a dup shares the offset: start from the top */
    DIR *d = fdopendir(lfd);
    if (!d) {
        int err = errno;
        close(lfd);
        return fail(c, err, "read directory");
    }
    int r = 0;
    struct dirent *e;
    while (r == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        size_t saved;
        r = push_name(c, e->d_name, &saved);
        if (r < 0) {
            r = fail(c, -r, "copy");
            break;
        }
        r = copy_entry(c, srcfd, dstfd, e->d_name, depth);
        pop_name(c, saved);
    }
    if (r == 0 && errno != 0) r = fail(c, errno, "read directory");
    closedir(d);
    return r;
}

int hx_copy_tree(int srcfd, int dstfd, const struct hx_copy_opts *o, struct hx_copy_stats *stats, char *err, size_t errlen) {
    struct copy_ctx c;
    memset(&c, 0, sizeof c);
    memset(stats, 0, sizeof *stats);
    c.o = o;
    c.dst_root = dstfd;
    c.stats = stats;
    c.err = err;
    c.errlen = errlen;
    err[0] = 0;
    int r = copy_dir(&c, srcfd, dstfd, 0);
    if (r == 0 && (o->flags & HX_COPY_ROOT_ATTRS)) {
        /* docker's copyOwnership: the volume takes the image directory's owner and mode */
        struct stat st;
        if (fstat(srcfd, &st) < 0) r = fail(&c, errno, "stat");
        else {
            if (o->flags & HX_COPY_XATTRS) copy_xattrs(&c, srcfd, dstfd);
            r = set_owner_mode_times(&c, dstfd, &st);
        }
    }
    for (size_t i = 0; i < c.nlinks; i++) free(c.links[i].path);
    free(c.links);
    return r;
}

int hx_copy_entry(int src, int dstfd, const char *name, const struct hx_copy_opts *o, struct hx_copy_stats *stats, char *err, size_t errlen) {
    struct copy_ctx c;
    memset(&c, 0, sizeof c);
    memset(stats, 0, sizeof *stats);
    c.o = o;
    c.dst_root = dstfd;
    c.stats = stats;
    c.err = err;
    c.errlen = errlen;
    err[0] = 0;
    /* one plain component: the entry is made in DSTFD itself, never through a path */
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return fail(&c, EINVAL, "name");
    size_t saved;
    if (push_name(&c, name, &saved) < 0) return fail(&c, ENAMETOOLONG, "name");
    int dup = fcntl(src, F_DUPFD_CLOEXEC, 3);
    if (dup < 0) return fail(&c, errno, "open");
    int r = copy_opened(&c, dup, dstfd, name, 0);
    for (size_t i = 0; i < c.nlinks; i++) free(c.links[i].path);
    free(c.links);
    return r;
}
