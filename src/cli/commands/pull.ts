import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class PullCommand extends HxCommand {
  static override paths = [['pull'], ['image', 'pull']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Download an image from a registry',
    details:
      'Resolves NAME[:TAG|@DIGEST] like docker (`alpine` is docker.io/library/alpine:latest), picks the image for this platform from a multi-platform index, downloads layers in parallel with their digests verified, and unpacks them as they arrive. A tag pulled before is checked with a HEAD request first. Registries, mirrors and CAs: see docs/REGISTRIES.md.',
    examples: [
      ['Pull from Docker Hub', '$0 pull alpine'],
      ['Pull another platform', '$0 pull --platform linux/arm64 alpine:3.20'],
      ['Pull from a local registry over plain http', '$0 pull --tls-verify=false localhost:5000/app:1'],
    ],
  });
  platform = Option.String('--platform', { description: 'OS/ARCH[/VARIANT] to pull (default: this host)' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Print only the image ID' });
  tlsVerify = Option.String('--tls-verify', { tolerateBoolean: true, description: 'Verify TLS and require https (--tls-verify=false allows plain http)' });
  authFile = Option.String('--authfile', { description: 'Read credentials from this file' });
  reference = Option.String({ name: 'NAME[:TAG|@DIGEST]' });

  async run(): Promise<number> {
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { pull } = await import('../../engine/registry.js');
    const { parseReference } = await import('../../image/reference.js');
    const { ProgressRenderer, tlsVerifyFlag } = await import('../progress.js');
    const tlsVerify = tlsVerifyFlag(this.tlsVerify);
    const out = this.context.stdout;
    const tty = Boolean((out as NodeJS.WriteStream).isTTY);
    const progress = new ProgressRenderer(out, this.context.stderr, tty);
    const parsed = parseReference(this.reference);
    if (!this.quiet) {
      if (parsed.tag === undefined && parsed.digest === undefined) out.write('Using default tag: latest\n');
      out.write(`${parsed.digest ?? parsed.tag ?? 'latest'}: Pulling from ${parsed.path}\n`);
    }
    const result = await pull(this.reference, { platform: this.platform, tlsVerify, authFile: this.authFile }, (e) => {
      if (this.quiet) {
        if (e.type === 'warning') this.context.stderr.write(`WARNING: ${e.message}\n`);
        return;
      }
      progress.handle(e);
    });
    progress.finish();
    if (this.quiet) {
      out.write(`${result.id}\n`);
      return 0;
    }
    const { familiarName, parseNormalized } = await import('../../image/reference.js');
    const short = familiarName(parseNormalized(this.reference));
    out.write(`Digest: ${result.digest}\n`);
    out.write(result.upToDate ? `Status: Image is up to date for ${short}\n` : `Status: Downloaded newer image for ${short}\n`);
    out.write(`${result.reference}\n`);
    return 0;
  }
}
