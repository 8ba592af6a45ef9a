// From a container's options to the spawn plan libhxns (or the monitor) executes: the
// checks on the root filesystem and bind sources, what the host allows, the user files of
// the image, capabilities, the seccomp filter (cached for the default profile). Shared by
// foreground runs, detached starts and exec.
import { closeSync, fstatSync, readdirSync, realpathSync, readFileSync, statSync } from 'node:fs';
import { hostname as hostHostname } from 'node:os';
import { join } from 'node:path';
import type { HostMode } from '../host/mode.js';
import { ttyGroupMapped } from '../host/mode.js';
import { hostLastCap } from '../runtime/capabilities.js';
import type { SpawnPlan } from '../runtime/plan.js';
import { ContainerConfigError } from '../runtime/run-errors.js';
import { cachedFilter, compilerIdentity } from '../runtime/seccomp-cache.js';
import { buildExecPlan, buildPlan, containerCapabilities, type ContainerOptions, type ExecInputs, type HostFacts, type SeccompChoice, type UserFiles } from '../runtime/spec.js';
import { parseGroup, parsePasswd } from '../runtime/user.js';
import { SysError } from '../sys/errors.js';
import { buildDir, hxRoot, runningFromBundle } from '../sys/install.js';
import { openInRoot } from '../sys/spawn.js';

/** Where containers run: the host mode, and where the seccomp cache lives. */
export interface PlanHost {
  mode: HostMode;
  runtimeDir: string;
}

function checkRootfs(path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new ContainerConfigError(`rootfs ${path}: no such directory`, 'give the path of a directory holding the container\'s root filesystem');
  }
  if (!statSync(real).isDirectory()) throw new ContainerConfigError(`rootfs ${path}: not a directory`, 'give the path of a directory holding the container\'s root filesystem');
  return real;
}

function checkBindSources(o: ContainerOptions): void {
  for (const m of o.mounts ?? []) {
    if (m.type !== 'bind') continue;
    try {
      statSync(m.source);
    } catch {
      throw new ContainerConfigError(`bind source path does not exist: ${m.source}`, 'create it first, or fix the path (host paths must be absolute)');
    }
  }
}

/** A file of the container read as if its root were "/" (null when missing). */
function readContainerFile(rootfs: string, path: string): string | null {
  let fd: number;
  try {
    fd = openInRoot(rootfs, path);
  } catch (e) {
    if (e instanceof SysError && (e.code === 'ENOENT' || e.code === 'ENOTDIR' || e.code === 'ELOOP')) return null;
    throw e;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 16 << 20) return null;
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function userFiles(rootfs: string): UserFiles {
  const passwd = readContainerFile(rootfs, '/etc/passwd');
  const group = readContainerFile(rootfs, '/etc/group');
  return { passwd: passwd === null ? null : parsePasswd(passwd), group: group === null ? null : parseGroup(group) };
}

function hostFacts(mode: HostMode): HostFacts {
  const facts: HostFacts = { setgroupsAllowed: mode.setgroupsAllowed, ttyGroupMapped: ttyGroupMapped(mode), lastCap: hostLastCap(), initBinary: join(buildDir(), 'init') };
  if (mode.rootless) facts.idMaps = { uid: mode.uidMap, gid: mode.gidMap };
  return facts;
}

async function seccompFilter(choice: SeccompChoice, capabilities: string[], runtimeDir: string): Promise<Buffer | null> {
  if (choice === 'unconfined') return null;
  const compile = async () => {
    const { compileSeccomp } = await import('../runtime/seccomp/index.js');
    return compileSeccomp({ profile: choice, capabilities });
  };
  if (choice !== 'default') return compile(); // a profile file is read and compiled every time
  return cachedFilter(join(runtimeDir, 'seccomp'), compilerIdentity(seccompSources()), `default ${process.arch} ${capabilities.join(',')}`, compile);
}

/** The files the seccomp compiler runs from: the CLI bundle, or its modules in dist/. */
function seccompSources(): string[] {
  if (runningFromBundle()) return [join(buildDir(), 'cli.cjs')];
  const dir = join(hxRoot(), 'dist', 'runtime', 'seccomp');
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.js')).sort().map((f) => join(dir, f));
  } catch {
    return [];
  }
}

/** 12 hex digits, like the short container ids docker uses as hostnames (node:crypto
 * would cost ~3 ms to load; a hostname needs no cryptographic randomness). */
function randomHostname(): string {
  let out = '';
  for (let i = 0; i < 12; i++) out += Math.floor(Math.random() * 16).toString(16);
  return out;
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

export interface PlannedRun {
  plan: SpawnPlan;
  facts: HostFacts;
}

/** The plan of a new container (STDIO: the plan's stdio slots). */
export async function planContainer(options: ContainerOptions, host: PlanHost, stdio: [number, number, number]): Promise<PlannedRun> {
  const rootfs = checkRootfs(options.rootfs);
  checkBindSources(options);
  if (options.init && !existsFile(join(buildDir(), 'init'))) {
    throw new ContainerConfigError(`${join(buildDir(), 'init')} is missing`, 'run `npm install` (or `npm run build`) in the hx directory');
  }
  const facts = hostFacts(host.mode);
  const capabilities = containerCapabilities(options, facts.lastCap);
  const seccompChoice: SeccompChoice = options.seccomp ?? (options.privileged ? 'unconfined' : 'default');
  const seccomp = await seccompFilter(seccompChoice, capabilities, host.runtimeDir);
  const hostname = options.hostname ?? (options.network === 'host' ? hostHostname() : randomHostname());
  const plan = buildPlan({ options: { ...options, rootfs }, facts, files: userFiles(rootfs), hostname, capabilities, seccomp, stdio });
  return { plan, facts };
}

/** The plan of an exec into a running container (its pid 1 given by pid and start time). */
export async function planExec(
  container: ContainerOptions,
  exec: ExecInputs['exec'],
  target: ExecInputs['target'],
  host: PlanHost,
  stdio: [number, number, number],
): Promise<PlannedRun> {
  const facts = hostFacts(host.mode);
  const options = exec.privileged ? { ...container, privileged: true } : container;
  const capabilities = containerCapabilities(options, facts.lastCap);
  const seccompChoice: SeccompChoice = options.seccomp ?? (options.privileged ? 'unconfined' : 'default');
  const seccomp = await seccompFilter(seccompChoice, capabilities, host.runtimeDir);
  const rootfs = checkRootfs(container.rootfs);
  const plan = buildExecPlan({ container, exec, target, facts, files: userFiles(rootfs), hostname: container.hostname ?? '', capabilities, seccomp, stdio });
  return { plan, facts };
}
