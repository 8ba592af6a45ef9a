// A failed system call, carrying errno so callers can map it to advice.
import { constants } from 'node:os';
import { HxError, kindOfErrno } from '../errors.js';

const errnoNames = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

export class SysError extends HxError {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const name = errnoName(errno);
    super(`${syscall}${detail ? ` ${detail}` : ''}: ${name}`, { kind: kindOfErrno(name) });
    this.name = 'SysError';
    this.errno = errno;
    this.code = name;
    this.syscall = syscall;
  }
}
