/* A process's start time, to tell a live pid from a reused one (libhxns and the monitor). */
#ifndef HX_PROCSTAT_H
#define HX_PROCSTAT_H
#include <stdint.h>
#include <sys/types.h>

/* Field 22 of /proc/PID/stat (clock ticks since boot), or 0 when PID is gone. */
uint64_t hx_start_time(pid_t pid);

#endif
