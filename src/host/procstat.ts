// What /proc/PID/stat says about a process: its name, state and start time. A pid plus
// its start time names one process for good (a reused pid has another start time), which
// is how hx trusts the holder's pid file and container records (crun's status trick).
import { readFileSync } from 'node:fs';

export interface ProcStat {
  comm: string;
  state: string;
  startTime: string;
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const open = text.indexOf('(');
    const close = text.lastIndexOf(')');
    if (open < 0 || close < open) return undefined;
    const rest = text.slice(close + 2).split(' ');
    // rest[0] is field 3 (state); starttime is field 22
    return { comm: text.slice(open + 1, close), state: rest[0] ?? '', startTime: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Is the process PID with START TIME alive (not a zombie)? */
export function processAlive(pid: number, startTime: string): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.startTime === startTime && st.state !== 'Z' && st.state !== 'X';
}

/** This process's start time, to record beside its pid. */
export function ownStartTime(): string {
  return readProcStat(process.pid)?.startTime ?? '';
}
