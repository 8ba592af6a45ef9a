// Where a container's per-boot files live: RUNTIME/containers/<id> holds its monitor's
// attach socket (the record and the log are in the store).
import { join } from 'node:path';
import type { EngineContext } from '../context.js';

export function containerRunDir(ctx: EngineContext, id: string): string {
  return join(ctx.runtimeDir, 'containers', id);
}
