// hx's default seccomp profile: the semantics of docker's default (moby profiles/seccomp): an
// allowlist under SCMP_ACT_ERRNO(EPERM), argument rules for socket, personality and clone, and
// extra syscalls unlocked by capabilities. Written out here as data; compile.ts adds what docker
// gets from runc: ENOSYS (not EPERM) for syscall numbers the kernel table does not know.
import type { SeccompArg, SeccompFilter, SeccompProfile, SeccompSyscallRule } from './profile.js';

const EPERM = 1;
const ENOSYS = 38;

// CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
const CLONE_NAMESPACE_FLAGS = 0x00020000n | 0x02000000n | 0x04000000n | 0x08000000n | 0x10000000n | 0x20000000n | 0x40000000n;

/** Always allowed (syscalls missing from the target arch's table are skipped at compile time). */
const ALLOWED: string[] = [
  'accept', 'accept4', 'access', 'adjtimex', 'alarm', 'bind', 'brk', 'cachestat', 'capget', 'capset', 'chdir',
  'chmod', 'chown', 'chown32', 'clock_adjtime', 'clock_adjtime64', 'clock_getres', 'clock_getres_time64',
  'clock_gettime', 'clock_gettime64', 'clock_nanosleep', 'clock_nanosleep_time64', 'close', 'close_range',
  'connect', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl',
  'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'epoll_wait_old', 'eventfd', 'eventfd2',
  'execve', 'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fadvise64_64',
  'fallocate', 'fanotify_mark', 'fchdir', 'fchmod', 'fchmodat', 'fchmodat2', 'fchown', 'fchown32', 'fchownat',
  'fcntl', 'fcntl64', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr',
  'fstat', 'fstat64', 'fstatat64', 'fstatfs', 'fstatfs64', 'fsync', 'ftruncate', 'ftruncate64', 'futex',
  'futex_requeue', 'futex_time64', 'futex_wait', 'futex_waitv', 'futex_wake', 'futimesat', 'getcpu', 'getcwd',
  'getdents', 'getdents64', 'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups',
  'getgroups32', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getpriority',
  'getrandom', 'getresgid', 'getresgid32', 'getresuid', 'getresuid32', 'getrlimit', 'get_robust_list',
  'getrusage', 'getsid', 'getsockname', 'getsockopt', 'get_thread_area', 'gettid', 'gettimeofday', 'getuid',
  'getuid32', 'getxattr', 'getxattrat', 'inotify_add_watch', 'inotify_init', 'inotify_init1',
  'inotify_rm_watch', 'io_cancel', 'ioctl', 'io_destroy', 'io_getevents', 'io_pgetevents',
  'io_pgetevents_time64', 'ioprio_get', 'ioprio_set', 'io_setup', 'io_submit', 'ipc', 'kill',
  'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lchown32', 'lgetxattr',
  'link', 'linkat', 'listen', 'listmount', 'listxattr', 'listxattrat', 'llistxattr', '_llseek', 'lremovexattr',
  'lseek', 'lsetxattr', 'lstat', 'lstat64', 'madvise', 'map_shadow_stack', 'membarrier', 'memfd_create',
  'memfd_secret', 'mincore', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap',
  'mmap2', 'mprotect', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64',
  'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'mremap', 'mseal', 'msgctl', 'msgget', 'msgrcv', 'msgsnd',
  'msync', 'munlock', 'munlockall', 'munmap', 'name_to_handle_at', 'nanosleep', 'newfstatat', '_newselect',
  'open', 'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2', 'pkey_alloc',
  'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'ppoll_time64', 'prctl', 'pread64', 'preadv', 'preadv2',
  'prlimit64', 'process_mrelease', 'pselect6', 'pselect6_time64', 'pwrite64', 'pwritev', 'pwritev2', 'read',
  'readahead', 'readlink', 'readlinkat', 'readv', 'recv', 'recvfrom', 'recvmmsg', 'recvmmsg_time64', 'recvmsg',
  'remap_file_pages', 'removexattr', 'removexattrat', 'rename', 'renameat', 'renameat2', 'restart_syscall',
  'riscv_hwprobe', 'rmdir', 'rseq', 'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo',
  'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo',
  'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_get_priority_max', 'sched_get_priority_min',
  'sched_getscheduler', 'sched_rr_get_interval', 'sched_rr_get_interval_time64', 'sched_setaffinity',
  'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp', 'select', 'semctl',
  'semget', 'semop', 'semtimedop', 'semtimedop_time64', 'send', 'sendfile', 'sendfile64', 'sendmmsg', 'sendmsg',
  'sendto', 'setfsgid', 'setfsgid32', 'setfsuid', 'setfsuid32', 'setgid', 'setgid32', 'setgroups',
  'setgroups32', 'setitimer', 'setpgid', 'setpriority', 'setregid', 'setregid32', 'setresgid', 'setresgid32',
  'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setrlimit', 'set_robust_list', 'setsid', 'setsockopt',
  'set_thread_area', 'set_tid_address', 'setuid', 'setuid32', 'setxattr', 'setxattrat', 'shmat', 'shmctl',
  'shmdt', 'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4', 'sigprocmask', 'sigreturn',
  'socketcall', 'socketpair', 'splice', 'stat', 'stat64', 'statfs', 'statfs64', 'statmount', 'statx',
  'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill', 'time',
  'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64', 'timer_settime',
  'timer_settime64', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64', 'timerfd_settime',
  'timerfd_settime64', 'times', 'tkill', 'truncate', 'truncate64', 'ugetrlimit', 'umask', 'uname', 'unlink',
  'unlinkat', 'uretprobe', 'utime', 'utimensat', 'utimensat_time64', 'utimes', 'vfork', 'vmsplice', 'wait4',
  'waitid', 'waitpid', 'write', 'writev',
];

/**
 * socket(2) address families allowed (docker's list). Left out on purpose: AF_DECnet 12, AF_ECONET 19,
 * AF_ATMSVC 20, AF_IRDA 23, AF_WANPIPE 25, AF_ISDN 34, AF_CAIF 37 (removed from the kernel or dead),
 * AF_ALG 38 (kernel crypto API: attack surface), AF_VSOCK 40 (host/guest sockets not scoped by netns).
 */
const SOCKET_DOMAINS = [
  1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, // AF_UNIX .. AF_ROSE
  13, 14, 15, 16, 17, 18, // AF_NETBEUI, AF_SECURITY, AF_KEY, AF_NETLINK, AF_PACKET, AF_ASH
  21, 22, 24, 26, 27, 28, 29, 30, 31, 32, 33, // AF_RDS, AF_SNA, AF_PPPOX, AF_LLC .. AF_RXRPC
  35, 36, 39, 41, 42, 43, 44, 45, // AF_PHONET, AF_IEEE802154, AF_NFC, AF_KCM, AF_QIPCRTR, AF_SMC, AF_XDP, AF_MCTP
];

/** personality(2) values allowed: PER_LINUX, UNAME26, PER_LINUX32, PER_LINUX32|UNAME26, and the 0xffffffff query. */
const PERSONALITIES = [0x0n, 0x8n, 0x20000n, 0x20008n, 0xffffffffn];

/** Syscalls a capability unlocks (docker's includes.caps groups). */
const BY_CAPABILITY: Array<[string, string[]]> = [
  ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
  ['CAP_SYS_ADMIN', [
    'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'lookup_dcookie',
    'lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr', 'mount', 'mount_setattr', 'move_mount',
    'open_tree', 'perf_event_open', 'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog',
    'umount', 'umount2', 'unshare',
  ]],
  ['CAP_SYS_BOOT', ['reboot']],
  ['CAP_SYS_CHROOT', ['chroot']],
  ['CAP_SYS_MODULE', ['delete_module', 'init_module', 'finit_module']],
  ['CAP_SYS_PACCT', ['acct']],
  ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace']],
  ['CAP_SYS_RAWIO', ['iopl', 'ioperm']],
  ['CAP_SYS_TIME', ['settimeofday', 'stime', 'clock_settime', 'clock_settime64']],
  ['CAP_SYS_TTY_CONFIG', ['vhangup']],
  ['CAP_SYS_NICE', ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node']],
  ['CAP_SYSLOG', ['syslog']],
  ['CAP_BPF', ['bpf']],
  ['CAP_PERFMON', ['perf_event_open']],
];

/** Syscalls allowed only on some arches (Go GOARCH names, as docker matches them). */
const BY_ARCH: Array<[string[], string[]]> = [
  [['ppc64le'], ['sync_file_range2', 'swapcontext']],
  [['arm', 'arm64'], ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls']],
  [['amd64', 'x32'], ['arch_prctl']],
  [['amd64', 'x32', 'x86'], ['modify_ldt']],
  [['s390', 's390x'], ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr']],
  [['riscv64'], ['riscv_flush_icache']],
];

function filter(parts: Partial<SeccompFilter> = {}): SeccompFilter {
  return { caps: parts.caps ?? [], arches: parts.arches ?? [], ...(parts.minKernel ? { minKernel: parts.minKernel } : {}) };
}

function allow(names: string[], args: SeccompArg[] = [], includes: Partial<SeccompFilter> = {}, excludes: Partial<SeccompFilter> = {}): SeccompSyscallRule {
  return { names, action: 'SCMP_ACT_ALLOW', args, includes: filter(includes), excludes: filter(excludes) };
}

function arg0(op: SeccompArg['op'], value: bigint, valueTwo = 0n): SeccompArg[] {
  return [{ index: 0, op, value, valueTwo }];
}

/** socket rules as docker builds them: one `< first gap` range, then one equality per domain. */
function socketRules(): SeccompSyscallRule[] {
  const domains = [...SOCKET_DOMAINS].sort((a, b) => a - b);
  let run = 0;
  while (run + 1 < domains.length && domains[run + 1] === domains[run]! + 1) run++;
  const rules = [allow(['socket'], arg0('SCMP_CMP_LT', BigInt(domains[run]! + 1)))];
  for (const d of domains.slice(run + 1)) rules.push(allow(['socket'], arg0('SCMP_CMP_EQ', BigInt(d))));
  return rules;
}

export function defaultProfile(): SeccompProfile {
  const syscalls: SeccompSyscallRule[] = [
    allow(ALLOWED),
    allow(['process_vm_readv', 'process_vm_writev', 'ptrace'], [], { minKernel: { major: 4, minor: 8 } }),
    ...socketRules(),
    ...PERSONALITIES.map((p) => allow(['personality'], arg0('SCMP_CMP_EQ', p))),
    ...BY_ARCH.map(([arches, names]) => allow(names, [], { arches })),
    // Namespace-creating clone flags need CAP_SYS_ADMIN (which allows clone outright, below).
    allow(['clone'], arg0('SCMP_CMP_MASKED_EQ', CLONE_NAMESPACE_FLAGS, 0n), {}, { caps: ['CAP_SYS_ADMIN'], arches: ['s390', 's390x'] }),
    allow(['clone'], [{ index: 1, op: 'SCMP_CMP_MASKED_EQ', value: CLONE_NAMESPACE_FLAGS, valueTwo: 0n }], { arches: ['s390', 's390x'] }, { caps: ['CAP_SYS_ADMIN'] }),
    // clone3 passes its flags in memory seccomp cannot read: refuse it with ENOSYS so libc falls back to clone.
    { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS, args: [], includes: filter(), excludes: filter({ caps: ['CAP_SYS_ADMIN'] }) },
    ...BY_CAPABILITY.map(([cap, names]) => allow(names, [], { caps: [cap] })),
  ];
  return {
    source: 'the default profile',
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: [],
    archMap: [
      { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
      { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
    ],
    flags: [],
    syscalls,
  };
}
