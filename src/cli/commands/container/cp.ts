// `hx cp [-a] [-L] [-q] CTR:SRC DEST|-`, `hx cp [-a] [-L] [-q] SRC|- CTR:DEST` (docker/cli
// cp.go): which side is the container, `-` as a tar stream, and docker's summary line on a
// terminal.
import { HxError } from '../../../errors.js';
import { humanSizeWithPrecision } from '../../format/units.js';
import type { CommandRun } from '../../spec.js';

/** docker's splitCpArg: "CTR:PATH", unless the argument is an absolute or "./"-style
 * local path (a local name with ":" must be written so). */
export function splitCpArg(arg: string): { container: string; path: string } {
  if (arg.startsWith('/')) return { container: '', path: arg };
  const i = arg.indexOf(':');
  if (i < 0 || arg.startsWith('.')) return { container: '', path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export const run: CommandRun = async (ctx, inv) => {
  const [source, destination] = inv.args as [string, string];
  if (source === '') throw new HxError('source can not be empty', { kind: 'invalid-argument' });
  if (destination === '') throw new HxError('destination can not be empty', { kind: 'invalid-argument' });
  const src = splitCpArg(source);
  const dst = splitCpArg(destination);
  if (src.container && dst.container) throw new HxError('copying between containers is not supported', { kind: 'invalid-argument', hint: 'copy to the host first, then into the other container' });
  if (!src.container && !dst.container) throw new HxError('must specify at least one container source', { kind: 'invalid-argument', hint: 'write the container side as CONTAINER:PATH' });
  const opts = { archive: inv.flags.archive === true, followLink: inv.flags['follow-link'] === true };
  // docker prints its summary only on a terminal, and never with -q
  const quiet = inv.flags.quiet === true || !ctx.stdout.isTTY;
  const engine = await ctx.engine();
  if (src.container) {
    if (dst.path === '-' && ctx.stdout.isTTY) {
      // docker writes the tar to a terminal anyway; hx refuses, as hx save does
      throw new HxError('cowardly refusing to write a tar archive to a terminal', { kind: 'invalid-argument', hint: 'redirect stdout, or give a destination path' });
    }
    const r = await engine.copy.fromContainer(src.container, src.path, dst.path === '-' ? process.stdout : dst.path, opts);
    if (!quiet && dst.path !== '-') ctx.stderr.write(`Successfully copied ${humanSizeWithPrecision(r.bytes, 3)} to ${r.dest}\n`);
    return;
  }
  const r = await engine.copy.toContainer(dst.container, src.path === '-' ? ctx.stdin : src.path, dst.path, opts);
  if (!quiet) ctx.stderr.write(`Successfully copied ${humanSizeWithPrecision(r.bytes, 3)} to ${r.dest}\n`);
};
