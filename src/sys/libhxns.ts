// Bindings of build/libhxns.so (native/lib/*.c).
import { libhxnsHandle } from './ffi.js';
import { SysError } from './errors.js';

type ExecFn = (file: string, argv: (string | null)[], envp: (string | null)[]) => number;
let execFn: ExecFn | undefined;

/** Replace this process with FILE (PATH lookup when it has no slash), signals reset to
 * default. Returns only by throwing. */
export function execReplace(file: string, argv: string[], env: NodeJS.ProcessEnv): never {
  if (!execFn) execFn = libhxnsHandle().func('int hx_exec(const char *, const char **, const char **)') as unknown as ExecFn;
  const envp = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  const errno = execFn!(file, [...argv, null], [...envp, null]);
  throw new SysError('execve', errno, file);
}
