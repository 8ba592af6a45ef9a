// `hx pause`, `hx unpause`, `hx update`, `hx stats`: the cgroup commands, docker's output.
import { parseResourceFlags } from '../../../engine/docker-syntax/resources.js';
import type { StatsEntry } from '../../../engine/index.js';
import { renderList, type ListSpec } from '../../format/formatter.js';
import { bytesSize, humanSizeWithPrecision, truncateId } from '../../format/units.js';
import { resourceFlagsOf } from '../../run/flags.js';
import type { CommandRun } from '../../spec.js';
import { forEachContainer } from './each.js';
import { UsageError } from '../../../errors.js';

export const pause: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.pause(ref)));
};

export const unpause: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  return forEachContainer(ctx, inv.args, async (ref) => void (await engine.containers.unpause(ref)));
};

export const update: CommandRun = async (ctx, inv) => {
  const given = parseResourceFlags(resourceFlagsOf(inv.flags));
  if (Object.keys(given).length === 0) throw new UsageError('you must provide one or more flags when using this command', 'e.g. hx update --memory 64m CONTAINER');
  const engine = await ctx.engine();
  return forEachContainer(ctx, inv.args, async (ref) => {
    const r = await engine.containers.update(ref, given);
    for (const w of r.warnings) ctx.stderr.write(`WARNING: ${w}\n`);
  });
};

/** docker/cli cli/command/container/formatter_stats.go */
export const STATS_LIST: ListSpec = {
  defaultFormat: 'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}',
  headers: {
    Container: 'CONTAINER',
    ID: 'CONTAINER ID',
    Name: 'NAME',
    CPUPerc: 'CPU %',
    MemUsage: 'MEM USAGE / LIMIT',
    MemPerc: 'MEM %',
    NetIO: 'NET I/O',
    BlockIO: 'BLOCK I/O',
    PIDs: 'PIDS',
  },
  rowType: '*container.statsContext',
};

export function statsRow(e: StatsEntry, shownAs: string, trunc: boolean): Record<string, string> {
  const pair = (a: number, b: number): string => `${humanSizeWithPrecision(a, 3)} / ${humanSizeWithPrecision(b, 3)}`;
  return {
    Container: shownAs,
    ID: trunc ? truncateId(e.id) : e.id,
    Name: e.name,
    CPUPerc: `${e.cpuPercent.toFixed(2)}%`,
    MemUsage: `${bytesSize(e.memUsage)} / ${bytesSize(e.memLimit)}`,
    MemPerc: `${e.memPercent.toFixed(2)}%`,
    NetIO: pair(e.netRx, e.netTx),
    BlockIO: pair(e.blkRead, e.blkWrite),
    PIDs: String(e.pids),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const stats: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const engine = await ctx.engine();
  const refs = inv.args;
  const sampler = engine.containers.stats(refs, { all: f.all === true });
  const trunc = f['no-trunc'] !== true;
  const format = f.format as string | undefined;
  const render = (): string => {
    const entries = sampler.next();
    return renderList(entries.map((e, i) => statsRow(e, refs[i] ?? (trunc ? truncateId(e.id) : e.id), trunc)), format, STATS_LIST);
  };
  // docker's collector samples once a second; the first CPU % needs two samples
  await sleep(1000);
  if (f['no-stream'] === true) {
    ctx.stdout.write(render());
    return 0;
  }
  for (;;) {
    // docker redraws the whole screen every second
    ctx.stdout.write(`\x1b[2J\x1b[H${render()}`);
    await sleep(1000);
  }
};
