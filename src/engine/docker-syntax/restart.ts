// --restart: docker CLI's opts.ParseRestartPolicy (the format), moby's
// container.ValidateRestartPolicy (the names and counts, in the daemon, so an API client
// gets the same answer) and moby's restartmanager (when to restart, how long to wait).
import { UsageError } from '../../errors.js';

export type RestartPolicyName = '' | 'no' | 'always' | 'on-failure' | 'unless-stopped';

/** HostConfig.RestartPolicy. */
export interface RestartPolicy {
  Name: string;
  MaximumRetryCount: number;
}

const POLICY_HINT = 'use --restart no, always, unless-stopped or on-failure[:MAX-RETRIES]';

/**
 * docker CLI ParseRestartPolicy: "NAME[:COUNT]". Only the syntax is checked here; an
 * unknown name or a count on the wrong policy is refused by validateRestartPolicy.
 * "" stays the empty policy, which older engines read as "no".
 */
export function parseRestartPolicy(value: string): RestartPolicy {
  if (value === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = value.indexOf(':');
  const name = colon < 0 ? value : value.slice(0, colon);
  const count = colon < 0 ? '' : value.slice(colon + 1);
  if (colon >= 0 && name === '') throw new UsageError('invalid restart policy format: no policy provided before colon', POLICY_HINT);
  let retries = 0;
  if (count !== '') {
    // strconv.Atoi: an optional sign and digits only (so "3:4" and " 3" fail).
    if (!/^[+-]?[0-9]+$/.test(count) || !Number.isSafeInteger(Number(count))) {
      throw new UsageError('invalid restart policy format: maximum retry count must be an integer', POLICY_HINT);
    }
    retries = Number(count);
  }
  return { Name: name, MaximumRetryCount: retries };
}

/** moby api/types/container ValidateRestartPolicy, with its exact messages. */
export function validateRestartPolicy(policy: RestartPolicy): void {
  const n = policy.MaximumRetryCount;
  switch (policy.Name) {
    case 'always':
    case 'unless-stopped':
    case 'no':
      if (n !== 0) {
        throw new UsageError(
          `invalid restart policy: maximum retry count can only be used with 'on-failure'${n < 0 ? ' and cannot be negative' : ''}`,
          POLICY_HINT);
      }
      return;
    case 'on-failure':
      if (n < 0) throw new UsageError('invalid restart policy: maximum retry count cannot be negative', POLICY_HINT);
      return;
    case '':
      return; // pre-25 engines wrote an empty name; any count is accepted for them
    default:
      throw new UsageError(
        `invalid restart policy: unknown policy '${policy.Name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
        POLICY_HINT);
  }
}

/** Parse and validate, as `docker run --restart` ends up doing between CLI and daemon. */
export function restartPolicy(value: string): RestartPolicy {
  const p = parseRestartPolicy(value);
  validateRestartPolicy(p);
  return p;
}

/** docker CLI: --rm and a restart policy other than "no" exclude each other. */
export function checkAutoRemove(policy: RestartPolicy, autoRemove: boolean): void {
  if (autoRemove && policy.Name !== '' && policy.Name !== 'no') {
    throw new UsageError('conflicting options: cannot specify both --restart and --rm', 'drop one of them');
  }
}

/** moby restartmanager constants. */
export const RESTART_BACKOFF = {
  initialMs: 100,
  multiplier: 2,
  maxMs: 60_000,
  /** a run at least this long resets the delay to the initial one */
  resetAfterMs: 10_000,
} as const;

/** What the restart manager carries from one exit to the next. */
export interface RestartState {
  /** restarts done so far (docker inspect's RestartCount) */
  restartCount: number;
  /** the last delay, 0 before the first restart */
  delayMs: number;
}

export interface RestartExit {
  exitCode: number;
  /** docker stop/kill by the user, or the daemon shutting down */
  manuallyStopped: boolean;
  /** how long this run lasted */
  runMs: number;
}

export interface RestartDecision {
  restart: boolean;
  /** the wait before starting again (meaningful when restart is true) */
  delayMs: number;
  next: RestartState;
}

/**
 * moby restartmanager ShouldRestart as a pure step. The delay starts at 100 ms and
 * doubles per restart up to one minute; a run of 10 s or more resets it. "always"
 * restarts on any exit (docker stop cancels the manager itself), "unless-stopped" unless
 * the user stopped it, "on-failure" on a non-zero exit while under MaximumRetryCount (0:
 * no limit). The delay advances even when the answer is "no", as in moby.
 */
export function shouldRestart(policy: RestartPolicy, state: RestartState, exit: RestartExit): RestartDecision {
  if (policy.Name === '' || policy.Name === 'no') return { restart: false, delayMs: 0, next: state };
  let delay = exit.runMs >= RESTART_BACKOFF.resetAfterMs ? 0 : state.delayMs;
  if (delay === 0) delay = RESTART_BACKOFF.initialMs;
  else if (delay < RESTART_BACKOFF.maxMs) delay *= RESTART_BACKOFF.multiplier;
  delay = Math.min(delay, RESTART_BACKOFF.maxMs);
  let restart = false;
  if (policy.Name === 'always') restart = true;
  else if (policy.Name === 'unless-stopped') restart = !exit.manuallyStopped;
  else if (policy.Name === 'on-failure') {
    const max = policy.MaximumRetryCount;
    restart = (max === 0 || state.restartCount < max) && exit.exitCode !== 0;
  }
  if (!restart) return { restart: false, delayMs: delay, next: { restartCount: state.restartCount, delayMs: delay } };
  return { restart: true, delayMs: delay, next: { restartCount: state.restartCount + 1, delayMs: delay } };
}
