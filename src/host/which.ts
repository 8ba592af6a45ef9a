// Where a program is: PATH, plus the sbin dirs a user's PATH often lacks (newuidmap,
// iptables and friends live there).
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

export function findInPath(name: string): string | undefined {
  for (const dir of (process.env.PATH || '/usr/local/bin:/usr/bin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      /* keep looking */
    }
  }
  return undefined;
}
