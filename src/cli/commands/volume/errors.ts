// docker prints a daemon's refusal as "Error response from daemon: MSG" (moby client
// checkResponseErr); the volume commands report the engine's errors the same way, exit 1.
import { HxError } from '../../../errors.js';

/** Run F; an HxError from the engine becomes docker's daemon line, given to REPORT (result false). */
export async function daemonCall(report: (line: string) => void, f: () => Promise<void> | void): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (e) {
    if (!(e instanceof HxError) || e.kind === 'internal') throw e;
    report(`Error response from daemon: ${e.message}\n`);
    return false;
  }
}
