/*
 * hx launcher: the `hx` executable.
 *
 * Node is multithreaded and can never join a user namespace itself, so this small
 * single-threaded program does it first: when a namespace holder is alive it
 * setns()es into the holder's user and mount namespaces, then execs node on
 * dist/cli/main.js. The same binary is the holder ("__holder") and runs the kernel
 * probes that need a fresh single-threaded process ("__probe-*"), so one binary is
 * all an AppArmor profile has to name.
 */
#define _GNU_SOURCE
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
#include <sys/types.h>
#include <unistd.h>

#include "holder.h"

#ifndef HX_NODE_PATH
#define HX_NODE_PATH "/usr/bin/node"
#endif

/* Directory two levels above /proc/self/exe (build/hx -> project root). */
static int project_root(char *out, size_t len) {
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0) return -1;
    self[n] = 0;
    for (int i = 0; i < 2; i++) {
        char *slash = strrchr(self, '/');
        if (!slash) return -1;
        *slash = 0;
    }
    if (snprintf(out, len, "%s", self[0] ? self : "/") >= (int)len) return -1;
    return 0;
}

/* Join the holder's user and mount namespaces; on any doubt, stay outside. */
static void try_join(void) {
    char dir[PATH_MAX];
    if (hx_runtime_dir(dir, sizeof dir) < 0) return;
    pid_t pid = hx_holder_read_valid(dir);
    if (pid <= 0) return;

    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
    int userfd = open(path, O_RDONLY | O_CLOEXEC);
    snprintf(path, sizeof path, "/proc/%d/ns/mnt", pid);
    int mntfd = open(path, O_RDONLY | O_CLOEXEC);
    if (userfd < 0 || mntfd < 0) goto out;

    char cwd[PATH_MAX];
    int have_cwd = getcwd(cwd, sizeof cwd) != NULL;
    if (setns(userfd, CLONE_NEWUSER) < 0) goto out;
    if (setns(mntfd, CLONE_NEWNS) < 0) {
        /* Half-joined is worse than not joined: a user ns without the holder's mounts. */
        fprintf(stderr, "hx: cannot join the holder's mount namespace: %s\n", strerror(errno));
        _exit(125);
    }
    if (!have_cwd || chdir(cwd) < 0) {
        if (chdir("/") < 0) { /* nothing better to do */ }
    }
    char buf[16];
    snprintf(buf, sizeof buf, "%d", pid);
    setenv("HX_NS_PID", buf, 1);
out:
    if (userfd >= 0) close(userfd);
    if (mntfd >= 0) close(mntfd);
}

/* Index of the command word, past global options (`hx --storage-driver vfs run ...`). */
static int command_index(int argc, char **argv) {
    int i = 1;
    while (i < argc && strncmp(argv[i], "--storage-driver", 16) == 0) i += strchr(argv[i], '=') ? 1 : 2;
    return i;
}

/* Commands that must see the host as the user does (file owners, the initial namespace's
 * sysctls) or need no namespace at all: the launcher does not join for them. */
static int runs_on_host(int argc, char **argv) {
    int skip = command_index(argc, argv) - 1;
    argc -= skip;
    argv += skip;
    static const char *host_commands[] = {"info", "version", "--version", "-v", "help", "--help", "-h", "login", "logout", NULL};
    if (argc < 2) return 1;
    for (const char **c = host_commands; *c; c++)
        if (strcmp(argv[1], *c) == 0) return 1;
    if (strcmp(argv[1], "system") == 0 && argc >= 3 && (strcmp(argv[2], "info") == 0 || strcmp(argv[2], "migrate") == 0))
        return 1;
    /* `hx bench run` times `hx run` as a user starts it, and runs podman/runc/crun beside it */
    if (strcmp(argv[1], "bench") == 0 && argc >= 3 && strcmp(argv[2], "run") == 0) return 1;
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strncmp(argv[1], "__", 2) == 0) {
        if (strcmp(argv[1], "__holder") == 0) return hx_holder_main();
        if (strcmp(argv[1], "__probe-userns") == 0) return hx_probe_userns();
        if (strcmp(argv[1], "__probe-overlay") == 0 && argc >= 3) return hx_probe_overlay(argv[2]);
    }

    uid_t uid = getuid();
    /* Already inside (a nested hx under `hx unshare`): keep what the outer launcher set. */
    int inside = 0;
    const char *ns_pid = getenv("HX_NS_PID");
    if (ns_pid) {
        char path[64];
        struct stat self_ns, holder_ns;
        snprintf(path, sizeof path, "/proc/%d/ns/user", atoi(ns_pid));
        inside = stat("/proc/self/ns/user", &self_ns) == 0 && stat(path, &holder_ns) == 0 &&
                 self_ns.st_ino == holder_ns.st_ino && self_ns.st_dev == holder_ns.st_dev;
    }
    if (!inside) {
        char ids[32];
        unsetenv("HX_NS_PID");
        snprintf(ids, sizeof ids, "%u", uid);
        setenv("HX_HOST_UID", ids, 1);
        snprintf(ids, sizeof ids, "%u", getgid());
        setenv("HX_HOST_GID", ids, 1);
        if (uid != 0 && !getenv("HX_NO_JOIN") && !runs_on_host(argc, argv)) try_join();
    }

    /* Node 20 parses NODE_EXTRA_CA_CERTS at start (~40 ms for a full bundle); only the
     * registry client needs the extra CAs, so carry the value aside for it. */
    const char *ca = getenv("NODE_EXTRA_CA_CERTS");
    if (ca) {
        setenv("HX_EXTRA_CA_CERTS", ca, 1);
        unsetenv("NODE_EXTRA_CA_CERTS");
    }

    char root[PATH_MAX], main_js[PATH_MAX + 32], self[PATH_MAX];
    if (project_root(root, sizeof root) < 0) {
        fprintf(stderr, "hx: cannot locate the hx installation from /proc/self/exe\n");
        return 125;
    }
    /* The CLI bundle when built, else the plain tsc output; `hx run` has a bundle of its
     * own (a third of the code to compile before the container starts). */
    main_js[0] = 0;
    int cmd = command_index(argc, argv);
    if (cmd < argc && strcmp(argv[cmd], "run") == 0) {
        /* run-loader.cjs runs run.cjs through a V8 code cache (src/cli/run-loader.ts) */
        snprintf(main_js, sizeof main_js, "%s/build/run-loader.cjs", root);
        if (access(main_js, R_OK) != 0) snprintf(main_js, sizeof main_js, "%s/build/run.cjs", root);
        if (access(main_js, R_OK) != 0) main_js[0] = 0;
    }
    if (!main_js[0]) snprintf(main_js, sizeof main_js, "%s/build/cli.cjs", root);
    if (access(main_js, R_OK) != 0) snprintf(main_js, sizeof main_js, "%s/dist/cli/main.js", root);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = 0;
        setenv("HX_LAUNCHER", self, 1);
    }

    const char *node = getenv("HX_NODE");
    if (!node || !*node) node = HX_NODE_PATH;

    char **nargv = calloc((size_t)argc + 3, sizeof *nargv);
    if (!nargv) return 125;
    int k = 0;
    nargv[k++] = (char *)node;
    nargv[k++] = main_js;
    for (int i = 1; i < argc; i++) nargv[k++] = argv[i];
    nargv[k] = NULL;
    execv(node, nargv);
    if (errno == ENOENT) execvp("node", nargv);
    fprintf(stderr, "hx: cannot run node (%s): %s; set HX_NODE to the node binary\n", node, strerror(errno));
    return 125;
}
