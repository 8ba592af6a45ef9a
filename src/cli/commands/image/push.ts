// `hx push IMAGE [DESTINATION]`: docker's output; -q prints the reference pushed.
import { ProgressRenderer } from '../../ui/progress.js';
import type { CommandRun } from '../../spec.js';

export const run: CommandRun = async (ctx, inv) => {
  const f = inv.flags;
  const [image, destination] = inv.args as [string, string | undefined];
  const engine = await ctx.engine();
  const { parseNormalized, repositoryName, familiarName } = await import('../../../engine/references.js');
  const out = ctx.stdout;
  const quiet = Boolean(f.quiet);
  const progress = new ProgressRenderer(out, ctx.stderr, out.isTTY);
  if (!quiet) {
    try {
      out.write(`The push refers to repository [${repositoryName(parseNormalized(destination ?? image))}]\n`);
    } catch {
      /* an ID without destination: push() says what is wrong */
    }
  }
  const format = f.format as 'oci' | 'v2s2' | undefined;
  const result = await engine.registry.push(image, destination, { format, tlsVerify: f['tls-verify'] as boolean | undefined, authFile: f.authfile as string | undefined }, (e) => {
    if (quiet) {
      if (e.type === 'warning') ctx.stderr.write(`WARNING: ${e.message}\n`);
      return;
    }
    progress.handle(e);
  });
  progress.finish();
  const pushed = parseNormalized(result.reference);
  if (quiet) out.write(`${familiarName(pushed)}\n`);
  else out.write(`${pushed.tag}: digest: ${result.digest} size: ${result.size}\n`);
};
