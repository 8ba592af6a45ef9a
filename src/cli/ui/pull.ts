// What `hx pull` shows, shared by `hx run`'s implicit pull (its progress on stderr there).
import type { PullResult } from '../../engine/index.js';
import type { CommandContext } from '../context.js';
import type { Output } from '../output.js';
import { ProgressRenderer } from './progress.js';

export interface PullDisplay {
  platform?: string | undefined;
  tlsVerify?: boolean | undefined;
  authFile?: string | undefined;
  quiet?: boolean;
  /** Where the progress goes (stdout for `hx pull`, stderr for `hx run`). */
  out?: Output;
}

export async function pullWithProgress(ctx: CommandContext, ref: string, o: PullDisplay): Promise<PullResult> {
  const engine = await ctx.engine();
  const out = o.out ?? ctx.stdout;
  const { parseReference, familiarName, parseNormalized } = await import('../../engine/references.js');
  const progress = new ProgressRenderer(out, ctx.stderr, out.isTTY);
  const parsed = parseReference(ref);
  if (!o.quiet) {
    if (parsed.tag === undefined && parsed.digest === undefined) out.write('Using default tag: latest\n');
    out.write(`${parsed.digest ?? parsed.tag ?? 'latest'}: Pulling from ${parsed.path}\n`);
  }
  const result = await engine.registry.pull(ref, { platform: o.platform, tlsVerify: o.tlsVerify, authFile: o.authFile }, (e) => {
    if (o.quiet) {
      if (e.type === 'warning') ctx.stderr.write(`WARNING: ${e.message}\n`);
      return;
    }
    progress.handle(e);
  });
  progress.finish();
  if (o.quiet) {
    out.write(`${result.reference}\n`);
    return result;
  }
  const short = familiarName(parseNormalized(ref));
  out.write(`Digest: ${result.digest}\n`);
  out.write(result.upToDate ? `Status: Image is up to date for ${short}\n` : `Status: Downloaded newer image for ${short}\n`);
  out.write(`${result.reference}\n`);
  return result;
}
