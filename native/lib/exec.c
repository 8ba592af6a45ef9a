/* libhxns: exec with a clean signal state. Node ignores SIGPIPE and SIGXFSZ and blocks
 * some signals in its threads; execve keeps ignored dispositions and the mask, so a
 * plain execve from Node would hand them to the new program. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

void hx_reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        sigaction(sig, &sa, NULL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Replace this process with FILE (looked up in PATH when it has no slash).
 * Returns only on failure, with the errno. */
/* Node marks stdio close-on-exec and non-blocking; the next program wants neither. */
void hx_reset_stdio(void) {
    for (int fd = 0; fd <= 2; fd++) {
        int fdflags = fcntl(fd, F_GETFD);
        if (fdflags >= 0) fcntl(fd, F_SETFD, fdflags & ~FD_CLOEXEC);
        int flflags = fcntl(fd, F_GETFL);
        if (flflags >= 0 && (flflags & O_NONBLOCK)) fcntl(fd, F_SETFL, flflags & ~O_NONBLOCK);
    }
}

int hx_exec(const char *file, char *const argv[], char *const envp[]) {
    hx_reset_signals();
    hx_reset_stdio();
    execvpe(file, argv, envp);
    return errno;
}
