// `hx build [OPTIONS] PATH`: docker build's flags that the builder takes; the image ID is
// printed last (alone with -q), as docker does.
import { writeFileSync } from 'node:fs';
import { progressMode } from '../../../engine/build/progress.js';
import { UsageError } from '../../../errors.js';
import type { CommandRun } from '../../spec.js';

function pairs(list: string[] | undefined, flag: string, fromEnv: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new UsageError(`invalid ${flag} "${item}"`, `use ${flag} KEY=VALUE`);
    if (eq < 0) {
      // docker: --build-arg KEY takes KEY's value from the environment, if it has one
      if (flag === '--build-arg' && fromEnv[item] !== undefined) out[item] = fromEnv[item]!;
      else if (flag !== '--build-arg') out[item] = '';
      continue;
    }
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** --secret id=ID,src=FILE | id=ID,env=VAR (buildx's form: type=file|env, source= and
 * src=; an id alone takes the variable of that name): the file's path, or the value. */
function secrets(list: string[] | undefined, fromEnv: NodeJS.ProcessEnv): Record<string, { file?: string; value?: string }> {
  const out: Record<string, { file?: string; value?: string }> = {};
  for (const item of list ?? []) {
    const kv: Record<string, string> = {};
    for (const field of item.split(',')) {
      const eq = field.indexOf('=');
      if (eq <= 0) throw new UsageError(`invalid secret ${JSON.stringify(item)}: field ${JSON.stringify(field)} must be a key=value pair`, 'use --secret id=ID,src=FILE or --secret id=ID,env=VAR');
      kv[field.slice(0, eq).toLowerCase()] = field.slice(eq + 1);
    }
    const id = kv.id;
    if (!id) throw new UsageError(`invalid secret ${JSON.stringify(item)}: id is required`, 'use --secret id=ID,src=FILE');
    const src = kv.src ?? kv.source;
    const type = kv.type ?? (kv.env !== undefined ? 'env' : 'file');
    if (type !== 'file' && type !== 'env') throw new UsageError(`unsupported secret type ${JSON.stringify(type)}`, 'use type=file or type=env');
    const variable = type === 'env' ? (kv.env ?? src ?? id) : src === undefined ? id : undefined;
    if (type === 'file' && src !== undefined) out[id] = { file: src };
    else if (variable !== undefined && fromEnv[variable] !== undefined) out[id] = { value: fromEnv[variable]! };
    else throw new UsageError(`secret ${id}: ${variable !== undefined ? `environment variable ${variable} is not set` : 'no source'}`, 'give src=FILE, or set the variable env= names');
  }
  return out;
}

/** --cache-from NAME, or buildx's type=registry,ref=NAME: the images; other cache types are refused. */
function cacheSources(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',').length === 1 && !v.includes('=') ? [v] : [registryRef(v)]);
}

function registryRef(value: string): string {
  const fields = new Map(value.split(',').map((f) => [f.slice(0, f.indexOf('=') < 0 ? f.length : f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as const));
  const type = fields.get('type') ?? 'registry';
  if (type !== 'registry' || !fields.get('ref')) throw new UsageError(`--cache-from ${value}: only images are cache sources here (NAME, or type=registry,ref=NAME)`, 'build the source with --build-arg BUILDKIT_INLINE_CACHE=1 and give its name');
  return fields.get('ref')!;
}

export const run: CommandRun = async (ctx, inv) => {
  const engine = await ctx.engine();
  const f = inv.flags;
  const context = inv.args[0]!;
  const flag = f.progress as string | undefined;
  if (flag !== undefined && !['auto', 'plain', 'tty', 'quiet'].includes(flag)) throw new UsageError(`invalid progress mode "${flag}"`, 'use --progress auto, plain, tty or quiet');
  // -q (or --progress quiet): the steps and RUN's output go nowhere, only the ID is printed
  const progress = progressMode(flag, f.quiet === true, process.stdout.isTTY === true);
  const quiet = progress === 'quiet';
  const image = await engine.images.build(
    {
      context,
      dockerfile: f.file as string | undefined,
      stdin: context === '-' || f.file === '-' ? ctx.stdin : undefined,
      tags: (f.tag as string[] | undefined) ?? [],
      buildArgs: pairs(f['build-arg'] as string[] | undefined, '--build-arg', process.env),
      target: f.target as string | undefined,
      labels: pairs(f.label as string[] | undefined, '--label', process.env),
      network: f.network as string | undefined,
      pull: f.pull === true ? 'always' : 'missing',
      noCache: f['no-cache'] === true,
      secrets: secrets(f.secret as string[] | undefined, process.env),
      addHost: (f['add-host'] as string[] | undefined) ?? [],
      platform: f.platform as string | undefined,
      cacheFrom: cacheSources(f['cache-from'] as string[] | undefined),
    },
    { stdout: process.stdout, stderr: process.stderr, progress, columns: process.stdout.columns },
  );
  if (quiet) ctx.stdout.write(`${image.id}\n`);
  const iid = f.iidfile as string | undefined;
  if (iid) writeFileSync(iid, image.id);
};
