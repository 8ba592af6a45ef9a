// `hx exec`: a new process in a running container's namespaces (joined by the libhxns
// child: the pid namespace before its fork, so it is a real member), with the
// container's capabilities, seccomp filter, no_new_privs, rlimits and environment.
// In the foreground it is supervised like `hx run` (stdio, -t, docker's exit codes);
// with -d a monitor of its own runs it.
import { linkedEnv, resolveLinks } from './links.js';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { containerCgroup } from '../../container/cgroup.js';
import { execForeground, type RunHooks, type RunIO } from '../../container/foreground.js';
import { startMonitor } from '../../container/monitor.js';
import { planExec } from '../../container/plan.js';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import { FD_NULL } from '../../runtime/plan.js';
import type { ContainerOptions } from '../../runtime/spec.js';
import type { ContainerRecord, ContainerState } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { containerActor, containerEvent } from '../events.js';
import { containerSpecOf } from './spec.js';
import { findContainer } from './lookup.js';
import { containerRunDir } from './paths.js';

export interface ExecRequest {
  command: string[];
  /** -u NAME|UID[:GROUP|GID] (default: the container's user). */
  user?: string;
  /** -w (default: the container's working directory). */
  workdir?: string;
  /** -e/--env-file, KEY=VALUE (already expanded), over the container's environment. */
  env?: string[];
  tty?: boolean;
  privileged?: boolean;
}

function running(ctx: EngineContext, ref: string): { rec: ContainerRecord; st: ContainerState; container: ContainerOptions } {
  const rec = findContainer(ctx.store, ref);
  const st = currentState(ctx.store, rec);
  if (!isRunning(st) || st.status === 'restarting') {
    throw new HxError(`container ${rec.id} is not running`, { kind: 'conflict', hint: `start it first: hx start ${rec.name}` });
  }
  if (st.status === 'paused') throw new HxError(`container ${rec.id} is paused, unpause the container before exec`, { kind: 'conflict' });
  const spec = containerSpecOf(rec.spec, rec.id);
  // the links' environment, as docker's exec has it (a stopped target fails it there too)
  return { rec, st, container: { ...spec.options, ...linkedEnv(spec.options.env, resolveLinks(ctx.store, rec)), rootfs: rec.rootfs, args: spec.options.args ?? [] } };
}

function execInputs(req: ExecRequest): Parameters<typeof planExec>[1] {
  return { args: req.command, user: req.user, cwd: req.workdir, env: req.env ?? [], tty: req.tty ?? false, privileged: req.privileged ?? false };
}

/** Run the command in the container; resolves with docker's exit code (126/127 too). */
export async function execInContainer(ctx: EngineContext, ref: string, req: ExecRequest, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  const { rec, st, container } = running(ctx, ref);
  // an exec'd process counts against the container's limits, as docker's does
  const cg = containerCgroup(ctx.mode, ctx.store.containerDir(rec.id));
  const placed: RunHooks = cg
    ? {
        ...hooks,
        beforeStart: async (c) => {
          cg.manager.add(cg.path, c.pid);
          await hooks.beforeStart?.(c);
        },
      }
    : hooks;
  const execID = randomBytes(32).toString('hex');
  const command = req.command.join(' ');
  containerEvent(ctx.store, rec, `exec_create: ${command}`, { execID });
  containerEvent(ctx.store, rec, `exec_start: ${command}`, { execID });
  let code: number | undefined;
  try {
    code = await execForeground(container, execInputs(req), { pid: st.pid, startTime: BigInt(st.pidStart) }, ctx, io, placed);
    return code;
  } finally {
    containerEvent(ctx.store, rec, 'exec_die', { execID, exitCode: String(code ?? 126) });
  }
}

/** `exec -d`: started under a monitor of its own (state in containers/<id>/exec/<exec-id>). */
export async function execDetached(ctx: EngineContext, ref: string, req: ExecRequest): Promise<string> {
  const { rec, st, container } = running(ctx, ref);
  const execId = randomBytes(32).toString('hex');
  const dir = join(ctx.store.containerDir(rec.id), 'exec', execId);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { plan } = await planExec(container, execInputs(req), { pid: st.pid, startTime: BigInt(st.pidStart) }, ctx, [FD_NULL, FD_NULL, FD_NULL]);
  const cg = containerCgroup(ctx.mode, ctx.store.containerDir(rec.id));
  const command = req.command.join(' ');
  containerEvent(ctx.store, rec, `exec_create: ${command}`, { execID: execId });
  containerEvent(ctx.store, rec, `exec_start: ${command}`, { execID: execId });
  await startMonitor(plan, {
    id: execId,
    dir,
    runDir: join(containerRunDir(ctx, rec.id), 'exec', execId),
    tty: req.tty ?? false,
    openStdin: false,
    restart: { name: 'no', max: 0 },
    log: { maxSize: 0, maxFiles: 1 },
    noLog: true,
    exitCommand: [],
    env: ctx.env,
    ...(cg ? { cgroup: { procs: cg.procs } } : {}),
    // its monitor says exec_die, for the container, when the command ends
    events: { path: ctx.store.events.path, from: rec.imageRef || rec.image, attributes: containerActor(rec, { execID: execId }).Attributes, actorId: rec.id, start: '', die: 'exec_die' },
  });
  return execId;
}

/** `hx container __healthcheck ID` (the monitor's probe): the container's HEALTHCHECK
 * run as an exec, its output on this process's stdout and stderr, its exit code out. */
export async function runHealthcheck(ctx: EngineContext, id: string): Promise<number> {
  const rec = findContainer(ctx.store, id);
  const test = containerSpecOf(rec.spec, rec.id).health?.Test ?? [];
  const command = test[0] === 'CMD-SHELL' ? ['/bin/sh', '-c', test.slice(1).join(' ')] : test[0] === 'CMD' ? test.slice(1) : [];
  if (command.length === 0) throw new HxError(`container ${rec.name} has no health check`, { kind: 'invalid-argument' });
  return execInContainer(ctx, rec.id, { command }, { stdin: null, stdout: 1, stderr: 2 });
}
