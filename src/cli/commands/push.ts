import { Command, Option } from 'clipanion';
import { HxCommand } from '../base.js';

export class PushCommand extends HxCommand {
  static override paths = [['push'], ['image', 'push']];
  static override usage = Command.Usage({
    category: 'Images',
    description: 'Upload an image to a registry',
    details:
      'Sends the layers the registry lacks (checked with HEAD; mounted from another repository of the same registry when the image came from there), then the config and the manifest. Layers stored uncompressed are gzipped on the way out. --format chooses the manifest type (default: the one the image has).',
    examples: [
      ['Push to a local registry', '$0 push --tls-verify=false myapp:1 localhost:5000/team/myapp:1'],
      ['Push as a Docker v2s2 manifest', '$0 push --format v2s2 quay.io/me/app:2'],
    ],
  });
  format = Option.String('--format,-f', { description: 'Manifest type: oci or v2s2' });
  quiet = Option.Boolean('-q,--quiet', false, { description: 'Print only the pushed digest' });
  tlsVerify = Option.String('--tls-verify', { tolerateBoolean: true, description: 'Verify TLS and require https (--tls-verify=false allows plain http)' });
  authFile = Option.String('--authfile', { description: 'Read credentials from this file' });
  image = Option.String({ name: 'IMAGE' });
  destination = Option.String({ name: 'DESTINATION', required: false });

  async run(): Promise<number> {
    const { ProgressRenderer, tlsVerifyFlag } = await import('../progress.js');
    const tlsVerify = tlsVerifyFlag(this.tlsVerify);
    const { enterNamespace } = await import('../../engine/namespace.js');
    await enterNamespace(process.argv.slice(2));
    const { push } = await import('../../engine/registry.js');
    const { parseNormalized, repositoryName } = await import('../../image/reference.js');
    const out = this.context.stdout;
    const progress = new ProgressRenderer(out, this.context.stderr, Boolean((out as NodeJS.WriteStream).isTTY));
    if (!this.quiet) {
      try {
        out.write(`The push refers to repository [${repositoryName(parseNormalized(this.destination ?? this.image))}]\n`);
      } catch {
        /* an ID without destination: push() says what is wrong */
      }
    }
    const format = this.format as 'oci' | 'v2s2' | undefined;
    const result = await push(this.image, this.destination, { format, tlsVerify, authFile: this.authFile }, (e) => {
      if (this.quiet) {
        if (e.type === 'warning') this.context.stderr.write(`WARNING: ${e.message}\n`);
        return;
      }
      progress.handle(e);
    });
    progress.finish();
    if (this.quiet) out.write(`${result.digest}\n`);
    else out.write(`${parseNormalized(result.reference).tag}: digest: ${result.digest} size: ${result.size}\n`);
    return 0;
  }
}
