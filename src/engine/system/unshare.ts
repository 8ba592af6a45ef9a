import { execReplace } from '../../sys/libhxns.js';
import { SysError } from '../../sys/errors.js';
import type { EngineContext } from '../context.js';
import { HxError } from '../../errors.js';

/** Replace this process with COMMAND (default: the user's shell); the caller is already in place. */
export function runInNamespace(ctx: EngineContext, command: string[]): never {
  const argv = command.length > 0 ? command : [ctx.env.SHELL || '/bin/sh'];
  const env: NodeJS.ProcessEnv = { ...ctx.env, HX_STORAGE_ROOT: ctx.storageRoot, HX_RUNTIME_DIR: ctx.runtimeDir };
  delete env.HX_REEXEC;
  try {
    execReplace(argv[0]!, argv, env);
  } catch (e) {
    if (e instanceof SysError && e.code === 'ENOENT') {
      throw new HxError(`${argv[0]}: executable file not found in $PATH`, { kind: 'start-failed', exitCode: 127 });
    }
    if (e instanceof SysError && e.code === 'EACCES') {
      throw new HxError(`${argv[0]}: permission denied`, { kind: 'start-failed', exitCode: 126 });
    }
    throw e;
  }
}
