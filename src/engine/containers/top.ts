// `hx top CTR [ps OPTIONS]`: moby's way: the host's ps(1) with the given options
// (default -ef), its rows kept for the processes in the container's pid namespace.
import { readdirSync, statSync } from 'node:fs';
import { currentState, isRunning } from '../../container/state.js';
import { HxError } from '../../errors.js';
import { childProcess } from '../../host/child-process.js';
import type { EngineContext } from '../context.js';
import { findContainer } from './lookup.js';

export interface TopResult {
  Titles: string[];
  Processes: string[][];
}

function nsInode(pid: number): string | undefined {
  try {
    const st = statSync(`/proc/${pid}/ns/pid`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/** The pids (as the host sees them) of every process in PID's pid namespace. */
function namespacePids(pid: number): Set<number> {
  const ns = nsInode(pid);
  const out = new Set<number>();
  if (!ns) return out;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (nsInode(Number(name)) === ns) out.add(Number(name));
  }
  return out;
}

/** moby parsePSOutput: the PID column found in the header, rows split into its columns. */
export function parsePsOutput(output: string, pids: Set<number>): TopResult {
  const lines = output.split('\n').filter((l) => l.trim() !== '');
  const titles = (lines[0] ?? '').trim().split(/\s+/);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new HxError("Couldn't find PID field in ps output", { kind: 'invalid-argument', hint: 'give ps options that print a PID column, e.g. -ef or aux' });
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < titles.length) continue;
    if (!pids.has(Number(fields[pidIndex]))) continue;
    // the last column (the command) keeps its spaces
    processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  }
  return { Titles: titles, Processes: processes };
}

export function topContainer(ctx: EngineContext, ref: string, psArgs: string[]): TopResult {
  const rec = findContainer(ctx.store, ref);
  const st = currentState(ctx.store, rec);
  if (!isRunning(st)) throw new HxError(`container ${rec.id} is not running`, { kind: 'conflict', hint: `start it first: hx start ${rec.name}` });
  const args = psArgs.length ? psArgs : ['-ef'];
  const r = childProcess().spawnSync('ps', args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new HxError(`ps ${args.join(' ')} failed: ${r.error ? r.error.message : (r.stderr || '').trim()}`, { kind: 'invalid-argument', hint: 'give options ps(1) understands' });
  }
  return parsePsOutput(r.stdout, namespacePids(st.pid));
}
