// Exit statuses and start failures the docker way: the command's own code, 128+N for a
// signal, 127 for a command that is not there, 126 for one that cannot run, 125 for hx.
import { errnoName } from '../sys/errors.js';
import { describeIdMap, idMapContains, idMapSize, type IdMapEntry } from '../host/idmap.js';
import { ContainerStartError } from './run-errors.js';

/** Who the container was to run as, and the user namespace's maps (undefined: no user namespace). */
export interface ProcessIdentity {
  uid: number;
  gid: number;
  /** Supplementary groups, the primary one included (as the plan has them). */
  groups: number[];
  uidMap?: IdMapEntry[] | undefined;
  gidMap?: IdMapEntry[] | undefined;
}

/** si_code values of waitid(2). */
export const CLD = { EXITED: 1, KILLED: 2, DUMPED: 3 } as const;

export function exitCodeOf(siCode: number, status: number): number {
  if (siCode === CLD.EXITED) return status & 0xff;
  return 128 + status;
}

/** Names of the child's steps (enum hx_step in native/lib/spawn.h), in order from 1. */
export const STEPS = [
  'reset signals', 'set up stdio', 'make mounts private', 'bind the root filesystem', 'mount', 'create symlink',
  'mask path', 'make path read-only', 'pivot_root', 'set hostname', 'bring up lo', 'set up the terminal',
  'change to the working directory', 'set rlimit', 'set capabilities', 'setgroups', 'setgid', 'setuid',
  'set no_new_privs', 'load the seccomp filter', 'look up the command', 'execute the command', 'wait for start',
  'join the container', 'connect the network',
] as const;

export function stepName(step: number): string {
  return STEPS[step - 1] ?? `step ${step}`;
}

/** What a failed network hook of the monitor is reported as (the hook's own error is in
 * the container's network-error.json, read by the starter). */
export const NETWORK_HOOK_FAILED = 'the network helper did not connect the container';

const STEP = {
  NETWORK: 25,
  MOUNT: 5, RLIMIT: 14, SETGROUPS: 16, SETGID: 17, SETUID: 18, SECCOMP: 20, LOOKUP: 21, EXEC: 22,
} as const;

const ERRNO = { EPERM: 1, ENOENT: 2, ENOEXEC: 8, EACCES: 13, EISDIR: 21, EINVAL: 22, ENOTDIR: 20 } as const;

const MESSAGES: Record<number, string> = {
  [ERRNO.ENOENT]: 'no such file or directory',
  [ERRNO.EACCES]: 'permission denied',
  [ERRNO.ENOEXEC]: 'exec format error',
  [ERRNO.EPERM]: 'operation not permitted',
  [ERRNO.EINVAL]: 'invalid argument',
  [ERRNO.ENOTDIR]: 'not a directory',
};

function describe(errno: number): string {
  return MESSAGES[errno] ?? errnoName(errno);
}

const SINGLE_ID_HINT = 'the user or group id is not mapped in the user namespace: with a single-id mapping only root (0) is available ' +
  '(give your user a subordinate id range: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 USER, then hx system migrate)';

/** Why setuid, setgid or setgroups failed, from the ids asked for and the maps that exist. */
function identityHint(step: number, who: ProcessIdentity | undefined): string | undefined {
  const isUid = step === STEP.SETUID;
  const map = isUid ? who?.uidMap : who?.gidMap;
  if (!who || !map) return 'the user or group id is not mapped in the user namespace';
  if (idMapSize(map) === 1) return SINGLE_ID_HINT;
  const kind = isUid ? 'uid' : 'gid';
  const asked = isUid ? [who.uid] : step === STEP.SETGID ? [who.gid] : who.groups;
  const unmapped = asked.filter((id) => !idMapContains(map, id));
  if (unmapped.length === 0) return undefined; // mapped: the errno says what else went wrong
  return `${kind} ${unmapped.join(', ')} is not mapped in the user namespace, which maps ${kind}s ${describeIdMap(map)}: ` +
    `use an id in that range, or give your user a larger range in /etc/sub${kind} and run hx system migrate`;
}

/** What the child reported (step, errno, detail) as docker's exit code and message. */
export function startFailure(step: number, errno: number, detail: string, command: string, who?: ProcessIdentity): ContainerStartError {
  if (step === STEP.NETWORK) return new ContainerStartError(NETWORK_HOOK_FAILED, 125);
  if (step === STEP.LOOKUP) {
    if (errno === ERRNO.ENOENT) {
      return command.includes('/')
        ? new ContainerStartError(`exec: ${JSON.stringify(command)}: stat ${command}: no such file or directory`, 127)
        : new ContainerStartError(`exec: ${JSON.stringify(command)}: executable file not found in $PATH`, 127);
    }
    return new ContainerStartError(`exec: ${JSON.stringify(command)}: permission denied`, 126, 'the file is not executable (chmod +x) or is a directory');
  }
  if (step === STEP.EXEC) {
    if (errno === ERRNO.ENOENT) {
      return new ContainerStartError(`exec ${detail}: no such file or directory`, 127, 'the program or its interpreter (#! line, dynamic loader) is missing in the container');
    }
    if (errno === ERRNO.EACCES || errno === ERRNO.ENOEXEC || errno === ERRNO.EISDIR) {
      return new ContainerStartError(`exec ${detail}: ${describe(errno)}`, 126, errno === ERRNO.ENOEXEC ? 'the file is not a program for this machine (wrong architecture, or a script without #!)' : undefined);
    }
  }
  const what = `${stepName(step)}${detail ? ` ${detail}` : ''}`;
  let hint: string | undefined;
  if (step === STEP.SETUID || step === STEP.SETGID || step === STEP.SETGROUPS) {
    hint = identityHint(step, who);
  } else if (step === STEP.RLIMIT) {
    hint = 'a rootless container cannot raise a hard limit above the one hx runs with';
  } else if (step === STEP.SECCOMP) {
    hint = 'run with --security-opt seccomp=unconfined to start without a filter';
  } else if (step === STEP.MOUNT && errno === ERRNO.ENOENT) {
    hint = 'a bind source disappeared, or a mount target crosses a dangling symlink';
  }
  return new ContainerStartError(`container setup failed: ${what}: ${describe(errno)}`, 125, hint);
}
