/* hx's --init: a minimal PID 1 for containers, bind-mounted at /dev/init (like docker's
 * tini). It runs the command as its only child, forwards the signals it receives to it,
 * reaps every orphan that the kernel re-parents to PID 1, and exits with the command's
 * status (128+N when a signal N killed it). Static, so it needs nothing from the image.
 *
 * Usage: init [--] FILE ARGV0 [ARG...]   (hx passes the resolved program and its argv) */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int status_code(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 125;
}

int main(int argc, char **argv) {
    int i = 1;
    if (i < argc && strcmp(argv[i], "--") == 0) i++;
    if (argc - i < 2) {
        fprintf(stderr, "usage: %s [--] FILE ARGV0 [ARG...]\n", argv[0]);
        return 125;
    }
    const char *file = argv[i];
    char **child_argv = &argv[i + 1];

    /* Every signal is taken synchronously with sigwaitinfo, never by a handler. */
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);

    pid_t child = fork();
    if (child < 0) {
        perror("hx-init: fork");
        return 125;
    }
    if (child == 0) {
        /* Own process group, in the terminal's foreground: Ctrl-C (a byte through the
         * pty) becomes SIGINT for the command, not for PID 1, which would ignore it. */
        setpgid(0, 0);
        if (isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpid()); /* SIGTTOU is blocked here */
        sigprocmask(SIG_SETMASK, &old, NULL);
        execv(file, child_argv);
        int err = errno;
        fprintf(stderr, "hx-init: exec %s: %s\n", file, strerror(err));
        _exit(err == ENOENT ? 127 : 126);
    }

    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue;
        if (sig == SIGCHLD) {
            for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, WNOHANG);
                if (p <= 0) break;
                if (p == child) return status_code(st);
            }
            continue;
        }
        /* Job-control stops aimed at PID 1 make no sense; the rest go to the command. */
        if (sig == SIGTTIN || sig == SIGTTOU || sig == SIGTSTP) continue;
        kill(child, sig);
    }
}
