// The one formatter of errors for every CLI entry point (the command table's and the run
// fast path's): `hx: message`, `  hint: ...`, the cause chain under HX_DEBUG or -D, and
// the exit code.
import { causes, HxError } from '../errors.js';

export function formatError(error: unknown, debug = Boolean(process.env.HX_DEBUG)): { text: string; exitCode: number } {
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof HxError && error.hint ? `\n  hint: ${error.hint}` : '';
  let text = `hx: ${message}${hint}\n`;
  if (debug && error instanceof Error) {
    text = `${error.stack}\n${causes(error).map((c) => `caused by: ${c instanceof Error ? c.stack : String(c)}\n`).join('')}${text}`;
  }
  const exitCode = error instanceof HxError ? error.exitCode : 125;
  return { text, exitCode };
}
