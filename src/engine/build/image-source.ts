// The images a build reads besides its FROM lines: COPY --from=IMAGE and RUN --mount
// from=IMAGE. Each name is resolved once per build, as FROM is: the store's image, or
// pulled when missing (and pulled again with --pull); --pull=never refuses.
import { HxError, wrap } from '../../errors.js';
import { findImage, resolveImage } from '../../image/resolve.js';
import type { ImageRecord } from '../../store/store.js';
import type { EngineContext } from '../context.js';
import { pull } from '../registry.js';

export type PullPolicy = 'missing' | 'always' | 'never';

export class BuildImages {
  private readonly seen = new Map<string, ImageRecord>();
  constructor(
    private readonly ctx: EngineContext,
    private readonly policy: PullPolicy,
    private readonly say: (line: string) => void,
  ) {}

  async get(name: string, where: string): Promise<ImageRecord> {
    const known = this.seen.get(name);
    if (known) return known;
    let image = this.policy === 'always' ? undefined : findImage(this.ctx.store, name);
    if (!image) {
      if (this.policy === 'never') throw new HxError(`${where}: No such image: ${name}`, { kind: 'not-found', hint: `pull it (hx pull ${name}), or build without --pull never` });
      this.say(`Pulling ${name}`);
      await pull(this.ctx, name, {}).catch((e: unknown) => {
        throw wrap(e, `${where}: pulling ${name}`);
      });
      image = resolveImage(this.ctx.store, name);
    }
    this.seen.set(name, image);
    return image;
  }
}
