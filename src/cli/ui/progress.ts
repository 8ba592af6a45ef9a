// Renders registry progress events the way `docker pull`/`push` show them: on a TTY one
// line per layer (bytes, total, speed), redrawn in place; otherwise one plain line per
// status change. Retries and warnings go to stderr.
import type { RegistryEvent } from '../../engine/index.js';
import { UsageError } from '../../errors.js';

interface Writable {
  write(s: string): unknown;
}

interface Row {
  id: string;
  status: string;
  current: number;
  total: number;
  /** Recent (time ms, bytes) samples for the speed. */
  samples: [number, number][];
  note: string;
}

const STATUS_TEXT: Record<string, string> = {
  exists: 'Already exists',
  waiting: 'Waiting',
  downloading: 'Downloading',
  downloaded: 'Download complete',
  extracting: 'Extracting',
  complete: 'Pull complete',
  preparing: 'Preparing',
  compressing: 'Compressing',
  pushing: 'Pushing',
  pushed: 'Pushed',
  mounted: 'Mounted',
};

export function formatBytes(n: number): string {
  if (n < 1000) return `${n}B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = -1;
  do {
    v /= 1000;
    u++;
  } while (v >= 1000 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)}${units[u]}`;
}

function bar(current: number, total: number, width = 30): string {
  const filled = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  return `[${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]`;
}

export class ProgressRenderer {
  private readonly rows = new Map<string, Row>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;

  constructor(
    private readonly out: Writable,
    private readonly err: Writable,
    private readonly tty: boolean,
  ) {}

  private row(digest: string): Row {
    const id = digest.replace(/^sha256:/, '').slice(0, 12);
    let r = this.rows.get(id);
    if (!r) this.rows.set(id, (r = { id, status: '', current: 0, total: 0, samples: [], note: '' }));
    return r;
  }

  private speed(r: Row): string {
    const s = r.samples;
    if (s.length < 2) return '';
    const [t0, b0] = s[0]!;
    const [t1, b1] = s[s.length - 1]!;
    if (t1 - t0 < 200) return '';
    return ` ${formatBytes(Math.round(((b1 - b0) * 1000) / (t1 - t0)))}/s`;
  }

  private line(r: Row): string {
    const text = STATUS_TEXT[r.status] ?? r.status;
    if ((r.status === 'downloading' || r.status === 'pushing') && r.total > 0) {
      return `${r.id}: ${text} ${bar(r.current, r.total)} ${formatBytes(r.current)}/${formatBytes(r.total)}${this.speed(r)}${r.note}`;
    }
    return `${r.id}: ${text}${r.note}`;
  }

  /** Print a line above the layer rows (TTY) or as is. */
  say(text: string, toErr = false): void {
    if (this.tty) this.clear();
    (toErr ? this.err : this.out).write(text + '\n');
    if (this.tty) this.redraw();
  }

  handle(e: RegistryEvent): void {
    switch (e.type) {
      case 'layer':
      case 'push-layer': {
        const r = this.row(e.digest);
        const changed = r.status !== e.status;
        r.status = e.status;
        if (e.type === 'push-layer' && e.status === 'mounted' && e.from) r.note = ` from ${e.from}`;
        else if (changed) r.note = '';
        if (e.total !== undefined) r.total = e.total;
        if (e.current !== undefined) {
          r.current = e.current;
          const now = Date.now();
          r.samples.push([now, e.current]);
          while (r.samples.length > 2 && now - r.samples[0]![0] > 3000) r.samples.shift();
        }
        if (this.tty) this.schedule(changed);
        else if (changed) this.out.write(`${r.id}: ${STATUS_TEXT[r.status] ?? r.status}${r.total && (r.status === 'downloading' || r.status === 'pushing') ? ` ${formatBytes(r.total)}` : ''}${r.note}\n`);
        break;
      }
      case 'retry': {
        const text = `${e.what}: retrying in ${(e.delayMs / 1000).toFixed(1)} s (attempt ${e.attempt}): ${e.reason}`;
        this.say(text, true);
        break;
      }
      case 'warning':
        this.say(`WARNING: ${e.message}`, true);
        break;
      default:
        break;
    }
  }

  private schedule(now: boolean): void {
    this.dirty = true;
    if (now) {
      this.redraw();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.redraw();
    }, 100);
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    this.dirty = false;
    let text = this.drawn > 0 ? `\x1b[${this.drawn}A` : '';
    for (const r of this.rows.values()) text += `\x1b[2K${this.line(r)}\n`;
    this.drawn = this.rows.size;
    this.out.write(text);
  }

  /** Final state of every row; stop redrawing. */
  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.tty && this.dirty) this.redraw();
  }
}

/** `--tls-verify`, `--tls-verify=true|false` (podman's spelling) -> boolean or undefined. */
export function tlsVerifyFlag(value: string | boolean | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true' || value === '1') return true;
  if (value === false || value === 'false' || value === '0') return false;
  throw new UsageError(`--tls-verify takes true or false, not "${value}"`);
}
