#define _GNU_SOURCE
#include "holder.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define HOLDER_COMM "hx-holder"

int hx_runtime_dir(char *out, size_t len) {
    const char *explicit_dir = getenv("HX_RUNTIME_DIR");
    if (explicit_dir && *explicit_dir) return snprintf(out, len, "%s", explicit_dir) < (int)len ? 0 : -1;
    uid_t uid = getuid();
    if (uid == 0) return snprintf(out, len, "/run/hx") < (int)len ? 0 : -1;
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg && *xdg && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == uid)
        return snprintf(out, len, "%s/hx", xdg) < (int)len ? 0 : -1;
    return snprintf(out, len, "/tmp/hx-%u", uid) < (int)len ? 0 : -1;
}

/* comm and starttime (field 22) of /proc/PID/stat; comm may hold spaces and parens. */
static int read_stat(pid_t pid, char *comm, size_t comm_len, char *state, unsigned long long *start) {
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren) return -1;
    size_t clen = (size_t)(close_paren - open_paren - 1);
    if (clen >= comm_len) clen = comm_len - 1;
    memcpy(comm, open_paren + 1, clen);
    comm[clen] = 0;
    /* fields after comm start at field 3 (state); starttime is field 22 */
    char *p = close_paren + 2;
    *state = *p;
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p) p++;
    }
    if (!p) return -1;
    *start = strtoull(p, NULL, 10);
    return 0;
}

pid_t hx_holder_read_valid(const char *dir) {
    char path[PATH_MAX], buf[128];
    if (snprintf(path, sizeof path, "%s/holder.pid", dir) >= (int)sizeof path) return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return -1;
    buf[n] = 0;
    long pid = 0;
    unsigned long long want_start = 0;
    if (sscanf(buf, "%ld %llu", &pid, &want_start) != 2 || pid <= 1 || pid > 1 << 22) return -1;

    char comm[32], state = 0;
    unsigned long long start = 0;
    if (read_stat((pid_t)pid, comm, sizeof comm, &state, &start) < 0) return -1;
    if (strcmp(comm, HOLDER_COMM) != 0 || start != want_start) return -1;
    /* A killed holder nobody reaped yet is a zombie: its namespaces are gone. */
    if (state == 'Z' || state == 'X') return -1;
    struct stat st;
    snprintf(path, sizeof path, "/proc/%ld", pid);
    if (stat(path, &st) < 0 || st.st_uid != getuid()) return -1;
    return (pid_t)pid;
}

/* stdin: control pipe from the creating hx; stdout: status lines to it. */
int hx_holder_main(void) {
    if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
        printf("error %d\n", errno);
        fflush(stdout);
        return 1;
    }
    prctl(PR_SET_NAME, HOLDER_COMM);
    printf("ready %d\n", getpid());
    fflush(stdout);

    /* The parent writes the id maps, then sends 'g'; EOF means it gave up. */
    char c = 0;
    if (read(0, &c, 1) != 1 || c != 'g') return 1;

    /* Our mounts never propagate back to the host; host mounts still reach us. */
    mount("none", "/", NULL, MS_REC | MS_SLAVE, NULL);

    /* Detach from the creating hx: that process goes on to exec the user's command, which
     * must not find the holder among its children (a shell's `wait` would hang on it). The
     * child keeps our namespaces; its pid is the one recorded. */
    pid_t child = fork();
    if (child < 0) {
        printf("error %d fork\n", errno);
        fflush(stdout);
        return 1;
    }
    if (child > 0) {
        printf("ok %d\n", child);
        fflush(stdout);
        _exit(0);
    }
    setsid();
    signal(SIGHUP, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    if (chdir("/") < 0) { /* keep going: the cwd only pins a directory */ }
    int devnull = open("/dev/null", O_RDWR);
    if (devnull >= 0) {
        dup2(devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        if (devnull > 2) close(devnull);
    }
    for (;;) pause();
}

int hx_probe_userns(void) {
    if (unshare(CLONE_NEWUSER) < 0) {
        printf("error %d\n", errno);
        return 1;
    }
    printf("ok\n");
    return 0;
}

static int write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Mount overlayfs with userxattr inside a fresh single-uid user namespace, in DIR. */
int hx_probe_overlay(const char *dir) {
    uid_t uid = getuid();
    gid_t gid = getgid();
    char map[64], path[PATH_MAX], opts[PATH_MAX * 3 + 64];
    const char *names[] = {"lower", "upper", "work", "merged"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (mkdir(path, 0700) < 0 && errno != EEXIST) {
            printf("error %d mkdir\n", errno);
            return 1;
        }
    }
    if (uid != 0) {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
            printf("error %d unshare\n", errno);
            return 1;
        }
        write_file("/proc/self/setgroups", "deny");
        snprintf(map, sizeof map, "0 %u 1", uid);
        if (write_file("/proc/self/uid_map", map) < 0) { printf("error %d uid_map\n", errno); return 1; }
        snprintf(map, sizeof map, "0 %u 1", gid);
        if (write_file("/proc/self/gid_map", map) < 0) { printf("error %d gid_map\n", errno); return 1; }
    } else if (unshare(CLONE_NEWNS) < 0) {
        printf("error %d unshare\n", errno);
        return 1;
    }
    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
    snprintf(opts, sizeof opts, "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work%s", dir, dir, dir,
             uid != 0 ? ",userxattr" : "");
    snprintf(path, sizeof path, "%s/merged", dir);
    if (mount("overlay", path, "overlay", 0, opts) < 0) {
        printf("error %d mount\n", errno);
        return 1;
    }
    umount2(path, MNT_DETACH);
    printf("ok\n");
    return 0;
}
