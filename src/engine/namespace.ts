// Getting the current process into the rootless namespace. Node cannot join a user
// namespace itself, so when it runs outside one it starts the holder and re-executes
// through the launcher, which joins before Node starts.
import { execReplace } from '../sys/libhxns.js';
import { launcherPath } from '../sys/install.js';
import { ensureHolder, insideHolder } from '../runtime/holder.js';
import { rootlessIdentity, singleIdWarning, type RootlessIdentity } from '../host/idmap.js';
import { hostGid, hostUid, isRootful } from '../host/paths.js';
import { HxError } from '../errors.js';

export type NamespaceStatus = { mode: 'rootful' } | { mode: 'rootless'; identity: RootlessIdentity; warnings: string[] };

/**
 * Make sure this process runs where containers can be made: as root, or inside the
 * holder's namespaces. May replace the process (execve) with `hx ARGV` through the
 * launcher; returns only when the process is already in place.
 */
export async function enterNamespace(argv: string[]): Promise<NamespaceStatus> {
  if (isRootful()) return { mode: 'rootful' };
  const identity = rootlessIdentity(hostUid(), hostGid());
  const warnings = identity.singleId ? [singleIdWarning(identity)] : [];
  if (insideHolder()) return { mode: 'rootless', identity, warnings };
  if (process.env.HX_REEXEC) {
    throw new HxError('could not join the rootless namespace after creating it', {
      hint: 'run `hx info` to diagnose; `hx system migrate` resets the holder',
    });
  }
  await ensureHolder(identity);
  const launcher = launcherPath();
  execReplace(launcher, [launcher, ...argv], { ...process.env, HX_REEXEC: '1' });
}

/** Stop the holder so the next command creates one with the current id ranges. */
export async function resetNamespace(): Promise<number | undefined> {
  const { stopHolder } = await import('../runtime/holder.js');
  return stopHolder();
}
