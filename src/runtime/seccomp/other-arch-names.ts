// Syscall names that exist on some Linux architecture but not in the x86_64 or aarch64 tables.
// A profile may name them (docker's default names chown32, socketcall, s390_* ...): they are skipped on
// arches that lack them, as libseccomp does. A name in none of the lists is a typo and an error.
export const OTHER_ARCH_SYSCALL_NAMES: ReadonlySet<string> = new Set([
  // i386 (32-bit x86, also the 32-bit ABI of most other arches)
  "_llseek", "_newselect", "bdflush", "break", "chown32", "clock_adjtime64", "clock_getres_time64",
  "clock_gettime64", "clock_nanosleep_time64", "clock_settime64", "fadvise64_64", "fchown32", "fcntl64",
  "fstat64", "fstatat64", "fstatfs64", "ftime", "ftruncate64", "futex_time64", "getegid32", "geteuid32",
  "getgid32", "getgroups32", "getresgid32", "getresuid32", "getuid32", "gtty", "idle", "io_pgetevents_time64",
  "ipc", "lchown32", "lock", "lstat64", "mmap2", "mpx", "mq_timedreceive_time64", "mq_timedsend_time64",
  "nice", "oldfstat", "oldlstat", "oldolduname", "oldstat", "olduname", "ppoll_time64", "prof", "profil",
  "pselect6_time64", "readdir", "recvmmsg_time64", "rt_sigtimedwait_time64", "sched_rr_get_interval_time64",
  "semtimedop_time64", "sendfile64", "setfsgid32", "setfsuid32", "setgid32", "setgroups32", "setregid32",
  "setresgid32", "setresuid32", "setreuid32", "setuid32", "sgetmask", "sigaction", "signal", "sigpending",
  "sigprocmask", "sigreturn", "sigsuspend", "socketcall", "ssetmask", "stat64", "statfs64", "stime", "stty",
  "timer_gettime64", "timer_settime64", "timerfd_gettime64", "timerfd_settime64", "truncate64", "ugetrlimit",
  "ulimit", "umount", "utimensat_time64", "vm86", "vm86old", "waitpid",
  // arm
  "arm_fadvise64_64", "arm_sync_file_range", "breakpoint", "cacheflush", "get_tls", "pciconfig_iobase",
  "pciconfig_read", "pciconfig_write", "recv", "send", "set_tls", "sync_file_range2", "usr26", "usr32",
  // powerpc
  "multiplexer", "rtas", "spu_create", "spu_run", "subpage_prot", "swapcontext", "switch_endian",
  "sys_debug_setcontext",
  // s390
  "s390_guarded_storage", "s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr", "s390_sthyi",
  // mips
  "cachectl", "sysmips",
  // m68k
  "atomic_barrier", "atomic_cmpxchg_32",
  // riscv
  "riscv_flush_icache", "riscv_hwprobe",
]);
