// --compare for `hx bench run`: the same image and command under podman (runc and its
// default runtime) and under runc and crun directly (an OCI bundle unpacked by umoci), each
// only when installed. The image leaves hx through `hx save` (untimed setup); everything a
// peer needs is made once, in the workspace, and removed with it.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findInPath } from '../host/which.js';
import type { Workspace } from './workspace.js';

export interface RunPeerContext {
  hxBin: string;
  image: string;
  command: string[];
  ws: Workspace;
}

export interface RunPeerDef {
  id: string;
  name: string;
  programs: string[];
  /** Untimed setup; returns the command line of one run (ITERATION makes names unique). */
  prepare(ctx: RunPeerContext, shared: SharedSetup): Promise<(iteration: number) => string[]>;
  /** Untimed cleanup after all runs. */
  cleanup?(ctx: RunPeerContext, shared: SharedSetup): void;
}

function run(argv: string[], what: string): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0) throw new Error(`${what} failed: ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-2).join(' ')}`);
  return r.stdout;
}

/** Setup shared by the peers: the image as a docker-archive, in podman, and as a bundle. */
export class SharedSetup {
  private archive: string | undefined;
  private podmanRef: string | undefined;
  private bundle: string | undefined;
  constructor(private readonly ctx: RunPeerContext) {}

  imageArchive(): string {
    if (!this.archive) {
      const file = this.ctx.ws.file('image.tar');
      run([this.ctx.hxBin, 'save', '-o', file, this.ctx.image], 'hx save');
      this.archive = file;
    }
    return this.archive;
  }

  /** The image in podman's store under a name of its own (never touching the user's tags). */
  podmanImage(): string {
    if (!this.podmanRef) {
      const ref = `localhost/hx-bench-run-${process.pid}:latest`;
      const out = run(['podman', 'load', '-q', '-i', this.imageArchive()], 'podman load');
      const id = /(?:sha256:)?([0-9a-f]{64})/.exec(out)?.[1] ?? /Loaded image(?:\(s\))?: (\S+)/.exec(out)?.[1];
      if (!id) throw new Error(`podman load said: ${out.trim()}`);
      run(['podman', 'tag', id, ref], 'podman tag');
      this.podmanRef = ref;
    }
    return this.podmanRef;
  }

  /** An OCI runtime bundle (rootless config from umoci) running the command. */
  runtimeBundle(): string {
    if (!this.bundle) {
      const layout = this.ctx.ws.file('oci');
      const bundle = this.ctx.ws.file('bundle');
      run(['skopeo', '--insecure-policy', 'copy', '--quiet', `docker-archive:${this.imageArchive()}`, `oci:${layout}:bench`], 'skopeo copy');
      run(['umoci', 'unpack', '--rootless', '--image', `${layout}:bench`, bundle], 'umoci unpack');
      const configPath = join(bundle, 'config.json');
      const config = JSON.parse(readFileSync(configPath, 'utf8')) as { process: { args?: string[]; terminal?: boolean } };
      if (this.ctx.command.length) config.process.args = this.ctx.command;
      config.process.terminal = false;
      writeFileSync(configPath, JSON.stringify(config));
      this.bundle = bundle;
    }
    return this.bundle;
  }

  cleanup(): void {
    if (this.podmanRef) spawnSync('podman', ['rmi', '-f', this.podmanRef], { stdio: 'ignore' });
  }
}

export const RUN_PEERS: RunPeerDef[] = [
  {
    id: 'podman-run-runc',
    name: 'podman run --rm --network none --runtime runc',
    programs: ['podman', 'runc'],
    async prepare(ctx, s) {
      const ref = s.podmanImage();
      return () => ['podman', 'run', '--rm', '--network', 'none', '--runtime', 'runc', ref, ...ctx.command];
    },
  },
  {
    id: 'podman-run',
    name: 'podman run --rm --network none (its default runtime)',
    programs: ['podman'],
    async prepare(ctx, s) {
      const ref = s.podmanImage();
      return () => ['podman', 'run', '--rm', '--network', 'none', ref, ...ctx.command];
    },
  },
  ...(['runc', 'crun'] as const).map(
    (rt): RunPeerDef => ({
      id: `${rt}-run`,
      name: `${rt} run (bundle unpacked by umoci --rootless)`,
      programs: [rt, 'umoci', 'skopeo'],
      async prepare(ctx, s) {
        const bundle = s.runtimeBundle();
        const root = ctx.ws.dir(`${rt}-state`);
        return (i) => [rt, '--root', root, 'run', '--bundle', bundle, `hx-bench-${process.pid}-${i}`];
      },
    }),
  ),
];

export function missingRunPrograms(p: RunPeerDef): string[] {
  return p.programs.filter((x) => !findInPath(x));
}

export function quote(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

