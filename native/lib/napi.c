/* libhxns as a Node-API module: the few calls on `hx run`'s start-up path.
 *
 * koffi costs ~8 ms of start-up (measured: `node -e "require('koffi')"` vs `node -e 0`),
 * half the budget of a whole `hx run`. The same libhxns.so that koffi loads also
 * registers itself as a Node-API module, so src/sys/spawn.ts loads it with
 * process.dlopen (well under 1 ms) and the run path needs no koffi at all.
 * Node-API is ABI-stable, so the handful of declarations below replace node_api.h. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "spawn.h"
#include "tree.h"
#include "relay.h"

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);

extern napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t *, napi_value *, napi_value *, void **);
extern napi_status napi_get_buffer_info(napi_env, napi_value, void **, size_t *);
extern napi_status napi_get_typedarray_info(napi_env, napi_value, int *, size_t *, void **, napi_value *, size_t *);
extern napi_status napi_get_value_int32(napi_env, napi_value, int32_t *);
extern napi_status napi_get_value_string_utf8(napi_env, napi_value, char *, size_t, size_t *);
extern napi_status napi_create_int32(napi_env, int32_t, napi_value *);
extern napi_status napi_create_array_with_length(napi_env, size_t, napi_value *);
extern napi_status napi_set_element(napi_env, napi_value, uint32_t, napi_value);
extern napi_status napi_create_function(napi_env, const char *, size_t, napi_callback, void *, napi_value *);
extern napi_status napi_set_named_property(napi_env, napi_value, const char *, napi_value);
extern napi_status napi_create_buffer_copy(napi_env, size_t, const void *, void **, napi_value *);
extern napi_status napi_get_value_int64(napi_env, napi_value, int64_t *);
extern napi_status napi_create_double(napi_env, double, napi_value *);
extern napi_status napi_create_string_utf8(napi_env, const char *, size_t, napi_value *);

static napi_value int32_value(napi_env env, int32_t v) {
    napi_value out = NULL;
    napi_create_int32(env, v, &out);
    return out;
}

static int args(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
    size_t argc = want;
    if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < want) return -1;
    return 0;
}

/* A string argument into BUF; -1 when it is not a string or does not fit. */
static int string_arg(napi_env env, napi_value v, char *buf, size_t cap) {
    size_t len = 0;
    if (napi_get_value_string_utf8(env, v, buf, cap, &len) != 0 || len + 1 >= cap) return -1;
    return 0;
}

/* spawn(plan: Uint8Array) -> [id, pid, startFd, stdinFd, stdoutFd, stderrFd] | -errno
 * (the stdio fds are hx's ends of the pipes the plan asked for, else -1) */
static napi_value js_spawn(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    if (args(env, info, 1, argv)) return int32_value(env, -EINVAL);
    void *data = NULL;
    size_t len = 0;
    int type;
    napi_value ab;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[0], &type, &len, &data, &ab, &offset) != 0) return int32_value(env, -EINVAL);
    int32_t id = 0, pid = 0, start_fd = -1, stdio[3] = {-1, -1, -1};
    int r = hx_spawn(data, len, &id, &pid, &start_fd, stdio);
    if (r < 0) return int32_value(env, r);
    napi_value out;
    napi_create_array_with_length(env, 6, &out);
    napi_set_element(env, out, 0, int32_value(env, id));
    napi_set_element(env, out, 1, int32_value(env, pid));
    napi_set_element(env, out, 2, int32_value(env, start_fd));
    for (int i = 0; i < 3; i++) napi_set_element(env, out, (uint32_t)i + 3, int32_value(env, stdio[i]));
    return out;
}

/* collect(id, waitMs) -> Buffer of struct hx_event records | -errno */
static napi_value js_collect(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    int32_t id, wait_ms;
    if (args(env, info, 2, argv) || napi_get_value_int32(env, argv[0], &id) || napi_get_value_int32(env, argv[1], &wait_ms))
        return int32_value(env, -EINVAL);
    struct hx_event events[16];
    int n = hx_spawn_collect(id, events, 16, wait_ms);
    if (n < 0) return int32_value(env, n);
    napi_value out;
    void *copy;
    if (napi_create_buffer_copy(env, (size_t)n * sizeof events[0], events, &copy, &out) != 0) return int32_value(env, -ENOMEM);
    return out;
}

/* signal(id, sig) -> 0 | -errno */
static napi_value js_signal(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    int32_t id, sig;
    if (args(env, info, 2, argv) || napi_get_value_int32(env, argv[0], &id) || napi_get_value_int32(env, argv[1], &sig))
        return int32_value(env, -EINVAL);
    return int32_value(env, hx_spawn_signal(id, sig));
}

/* signalVerified(pid, startTime as a decimal string, sig) -> 0 | -errno */
static napi_value js_signal_verified(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    int32_t pid, sig;
    char start[32];
    if (args(env, info, 3, argv) || napi_get_value_int32(env, argv[0], &pid) || string_arg(env, argv[1], start, sizeof start) ||
        napi_get_value_int32(env, argv[2], &sig))
        return int32_value(env, -EINVAL);
    return int32_value(env, hx_signal_verified(pid, strtoull(start, NULL, 10), sig));
}

/* setWinsize(fd, rows, cols) -> 0 | -errno */
static napi_value js_set_winsize(napi_env env, napi_callback_info info) {
    napi_value argv[3];
    int32_t fd, rows, cols;
    if (args(env, info, 3, argv) || napi_get_value_int32(env, argv[0], &fd) || napi_get_value_int32(env, argv[1], &rows) ||
        napi_get_value_int32(env, argv[2], &cols))
        return int32_value(env, -EINVAL);
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    return int32_value(env, ioctl(fd, TIOCSWINSZ, &ws) < 0 ? -errno : 0);
}

/* getWinsize(fd) -> rows << 16 | cols, or -errno (the size of a terminal Node has no
 * WriteStream for: stdin, when stdout is a pipe) */
static napi_value js_get_winsize(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    int32_t fd;
    if (args(env, info, 1, argv) || napi_get_value_int32(env, argv[0], &fd)) return int32_value(env, -EINVAL);
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) < 0) return int32_value(env, -errno);
    return int32_value(env, (int32_t)(((uint32_t)ws.ws_row << 16) | ws.ws_col));
}

/* openInRoot(root, path) -> fd (O_RDONLY) | -errno: PATH resolved as if ROOT were "/",
 * so symlinks inside an image cannot reach host files. */
static napi_value js_open_in_root(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    char root[4096], path[4096];
    if (args(env, info, 2, argv) || string_arg(env, argv[0], root, sizeof root) || string_arg(env, argv[1], path, sizeof path))
        return int32_value(env, -EINVAL);
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return int32_value(env, -errno);
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK; /* a FIFO must not block the open */
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    int err = errno;
    close(rootfd);
    return int32_value(env, fd < 0 ? -err : (int32_t)fd);
}

/* A directory for tree copies: PATH resolved inside ROOT (RESOLVE_IN_ROOT), or PATH itself
 * when ROOT is "". O_RDONLY | O_DIRECTORY; -errno on failure. */
static int open_dir(const char *root, const char *path) {
    if (!root[0]) return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -errno;
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    int err = errno;
    close(rootfd);
    return fd < 0 ? -err : (int)fd;
}

/* [0, files, dirs, bytes, chownSkipped, xattrsSkipped, specialSkipped] | [-errno, message] */
static napi_value copy_result(napi_env env, int r, const char *err, const struct hx_copy_stats *st) {
    napi_value out, v;
    if (r < 0) {
        napi_create_array_with_length(env, 2, &out);
        napi_set_element(env, out, 0, int32_value(env, r));
        napi_create_string_utf8(env, err, strlen(err), &v);
        napi_set_element(env, out, 1, v);
        return out;
    }
    uint64_t nums[6] = {st->files, st->dirs, st->bytes, st->chown_skipped, st->xattrs_skipped, st->special_skipped};
    napi_create_array_with_length(env, 7, &out);
    napi_set_element(env, out, 0, int32_value(env, 0));
    for (int i = 0; i < 6; i++) {
        napi_create_double(env, (double)nums[i], &v);
        napi_set_element(env, out, (uint32_t)i + 1, v);
    }
    return out;
}

/* copyTree(srcRoot, srcPath, dstRoot, dstPath, flags, uid, gid)
 *   -> [0, files, dirs, bytes, chownSkipped, xattrsSkipped, specialSkipped]
 *    | [-errno, message]: the contents of the source directory copied into the destination
 *      directory, each resolved inside its root ("" root: a host path). */
static napi_value js_copy_tree(napi_env env, napi_callback_info info) {
    napi_value argv[7];
    static char src_root[4096], src_path[4096], dst_root[4096], dst_path[4096];
    int32_t flags;
    int64_t uid, gid;
    if (args(env, info, 7, argv) || string_arg(env, argv[0], src_root, sizeof src_root) || string_arg(env, argv[1], src_path, sizeof src_path) ||
        string_arg(env, argv[2], dst_root, sizeof dst_root) || string_arg(env, argv[3], dst_path, sizeof dst_path) ||
        napi_get_value_int32(env, argv[4], &flags) || napi_get_value_int64(env, argv[5], &uid) || napi_get_value_int64(env, argv[6], &gid))
        return int32_value(env, -EINVAL);
    static char err[8448];
    err[0] = 0;
    struct hx_copy_stats st;
    memset(&st, 0, sizeof st);
    int r;
    int src = open_dir(src_root, src_path);
    if (src < 0) {
        r = src;
        snprintf(err, sizeof err, "open %s: %s", src_path, strerror(-src));
    } else {
        int dst = open_dir(dst_root, dst_path);
        if (dst < 0) {
            r = dst;
            snprintf(err, sizeof err, "open %s: %s", dst_path, strerror(-dst));
        } else {
            struct hx_copy_opts o = {.flags = (unsigned)flags, .uid = uid, .gid = gid};
            r = hx_copy_tree(src, dst, &o, &st, err, sizeof err);
            close(dst);
        }
        close(src);
    }
    return copy_result(env, r, err, &st);
}

/* An O_PATH fd of PATH resolved inside ROOT (RESOLVE_IN_ROOT: no symlink leads out of it;
 * "" root: a host path). FOLLOW: a symlink at the end is followed (inside ROOT) too,
 * else the fd names the symlink itself. -errno on failure. */
static int open_entry(const char *root, const char *path, int follow) {
    int flags = O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
    if (!root[0]) {
        int fd = open(path, flags);
        return fd < 0 ? -errno : fd;
    }
    int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) return -errno;
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)flags;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    int err = errno;
    close(rootfd);
    return fd < 0 ? -err : (int)fd;
}

/* statInRoot(root, path, follow) -> [0, mode, size, uid, gid, mtimeSec, linkTarget] | [-errno]:
 * what PATH is, resolved as open_entry resolves it (lstat when !follow). */
static napi_value js_stat_in_root(napi_env env, napi_callback_info info) {
    napi_value argv[3], out, v;
    char root[4096], path[4096];
    int32_t follow;
    if (args(env, info, 3, argv) || string_arg(env, argv[0], root, sizeof root) || string_arg(env, argv[1], path, sizeof path) ||
        napi_get_value_int32(env, argv[2], &follow))
        return int32_value(env, -EINVAL);
    int fd = open_entry(root, path, follow);
    struct stat st;
    int r = fd < 0 ? fd : (fstat(fd, &st) < 0 ? -errno : 0);
    char target[4096];
    target[0] = 0;
    if (r == 0 && S_ISLNK(st.st_mode)) {
        ssize_t n = readlinkat(fd, "", target, sizeof target - 1);
        target[n < 0 ? 0 : n] = 0;
    }
    if (fd >= 0) close(fd);
    if (r < 0) {
        napi_create_array_with_length(env, 1, &out);
        napi_set_element(env, out, 0, int32_value(env, r));
        return out;
    }
    double nums[6] = {0, (double)st.st_mode, (double)st.st_size, (double)st.st_uid, (double)st.st_gid, (double)st.st_mtim.tv_sec};
    napi_create_array_with_length(env, 7, &out);
    for (int i = 0; i < 6; i++) {
        napi_create_double(env, nums[i], &v);
        napi_set_element(env, out, (uint32_t)i, v);
    }
    napi_create_string_utf8(env, target, strlen(target), &v);
    napi_set_element(env, out, 6, v);
    return out;
}

/* copyEntry(srcRoot, srcPath, follow, dstRoot, dstDir, dstName, flags, uid, gid)
 *   -> as copyTree: the entry at SRCPATH (open_entry) copied as DSTNAME into directory
 *      DSTDIR, each side resolved inside its root. */
static napi_value js_copy_entry(napi_env env, napi_callback_info info) {
    napi_value argv[9];
    static char src_root[4096], src_path[4096], dst_root[4096], dst_dir[4096], dst_name[256];
    int32_t follow, flags;
    int64_t uid, gid;
    if (args(env, info, 9, argv) || string_arg(env, argv[0], src_root, sizeof src_root) || string_arg(env, argv[1], src_path, sizeof src_path) ||
        napi_get_value_int32(env, argv[2], &follow) || string_arg(env, argv[3], dst_root, sizeof dst_root) ||
        string_arg(env, argv[4], dst_dir, sizeof dst_dir) || string_arg(env, argv[5], dst_name, sizeof dst_name) ||
        napi_get_value_int32(env, argv[6], &flags) || napi_get_value_int64(env, argv[7], &uid) || napi_get_value_int64(env, argv[8], &gid))
        return int32_value(env, -EINVAL);
    static char err[8448];
    err[0] = 0;
    struct hx_copy_stats st;
    memset(&st, 0, sizeof st);
    int r;
    int src = open_entry(src_root, src_path, follow);
    if (src < 0) {
        r = src;
        snprintf(err, sizeof err, "open %s: %s", src_path, strerror(-src));
    } else {
        int dst = open_dir(dst_root, dst_dir);
        if (dst < 0) {
            r = dst;
            snprintf(err, sizeof err, "open %s: %s", dst_dir, strerror(-dst));
        } else {
            struct hx_copy_opts o = {.flags = (unsigned)flags, .uid = uid, .gid = gid};
            r = hx_copy_entry(src, dst, dst_name, &o, &st, err, sizeof err);
            close(dst);
        }
        close(src);
    }
    return copy_result(env, r, err, &st);
}

/* relayStart(inSrc, inDst, outSrc, outDst, errSrc, errDst) -> id | -errno */
static napi_value js_relay_start(napi_env env, napi_callback_info info) {
    napi_value argv[6];
    int32_t fds[6];
    if (args(env, info, 6, argv)) return int32_value(env, -EINVAL);
    for (int i = 0; i < 6; i++)
        if (napi_get_value_int32(env, argv[i], &fds[i])) return int32_value(env, -EINVAL);
    int32_t id = -1;
    int r = hx_relay_start(fds, &id);
    return int32_value(env, r < 0 ? r : id);
}

/* relayFinish(id) -> [stdinBytes, stdoutBytes, stderrBytes] | -errno */
static napi_value js_relay_finish(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    int32_t id;
    if (args(env, info, 1, argv) || napi_get_value_int32(env, argv[0], &id)) return int32_value(env, -EINVAL);
    uint64_t bytes[3];
    int r = hx_relay_finish(id, bytes);
    if (r < 0) return int32_value(env, r);
    napi_value out, v;
    napi_create_array_with_length(env, 3, &out);
    for (int i = 0; i < 3; i++) {
        napi_create_double(env, (double)bytes[i], &v);
        napi_set_element(env, out, (uint32_t)i, v);
    }
    return out;
}

static void export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
    napi_value fn;
    if (napi_create_function(env, name, strlen(name), cb, NULL, &fn) == 0) napi_set_named_property(env, exports, name, fn);
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
    export_fn(env, exports, "spawn", js_spawn);
    export_fn(env, exports, "collect", js_collect);
    export_fn(env, exports, "signal", js_signal);
    export_fn(env, exports, "signalVerified", js_signal_verified);
    export_fn(env, exports, "setWinsize", js_set_winsize);
    export_fn(env, exports, "getWinsize", js_get_winsize);
    export_fn(env, exports, "openInRoot", js_open_in_root);
    export_fn(env, exports, "copyTree", js_copy_tree);
    export_fn(env, exports, "copyEntry", js_copy_entry);
    export_fn(env, exports, "statInRoot", js_stat_in_root);
    export_fn(env, exports, "relayStart", js_relay_start);
    export_fn(env, exports, "relayFinish", js_relay_finish);
    return exports;
}
