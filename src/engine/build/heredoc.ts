// Heredocs as files, buildkit's way (dockerfile2llb dispatchRun/dispatchCopy):
//  - RUN <<EOF with a body starting "#!": the body is a file NAME (mode 0755) in a
//    read-only directory mounted at /dev/pipes/, and the RUN runs /dev/pipes/NAME
//    (history.ts buildkitRunArgs gives that argv; other heredoc RUNs need no file).
//  - COPY/ADD <<EOF DEST: each body a file named by its delimiter (mode 0644, root's),
//    copied as a source file is (to DEST/NAME when DEST is a directory, else to DEST).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InlineFile, RunInstruction } from '../../build/dockerfile/index.js';
import { parseHeredocWord } from '../../build/dockerfile/parser.js';
import type { MountRequest } from '../../runtime/mounts.js';

/** The /dev/pipes mount a shebang heredoc RUN needs, its file written under DIR; else undefined. */
export function heredocPipeMount(inst: RunInstruction, dir: string): MountRequest | undefined {
  const first = inst.files[0];
  if (!first || inst.command.length !== 1 || !inst.prependShell || parseHeredocWord(inst.command[0]!) === undefined) return undefined;
  const data = first.chomp ? first.data.replace(/^\t+/gm, '') : first.data;
  if (!data.startsWith('#!')) return undefined;
  const pipes = join(dir, 'pipes');
  mkdirSync(pipes, { recursive: true });
  const file = join(pipes, first.name);
  writeFileSync(file, data);
  chmodSync(file, 0o755);
  return { type: 'bind', source: pipes, target: '/dev/pipes', readonly: true, propagation: 'rprivate', recursive: false };
}

/** Write COPY's heredoc sources into DIR (a host directory): their names, for copying as sources. */
export function writeInlineSources(files: readonly InlineFile[], dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const file = join(dir, f.name);
    writeFileSync(file, f.data);
    chmodSync(file, 0o644);
    return `/${f.name}`;
  });
}
