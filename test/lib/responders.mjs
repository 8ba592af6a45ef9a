// The hx-dns processes of one runtime dir that are alive (zombies left out: the machine's pid 1 may not reap).
import { readdirSync, readFileSync } from 'node:fs';

/** Their pids (RUNTIME appears in each one's command line). */
export function responders(runtime) {
  const out = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
      if (cmd[0]?.endsWith('hx-dns') && cmd.some((a) => a.startsWith(runtime)) && state !== 'Z') out.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return out;
}
