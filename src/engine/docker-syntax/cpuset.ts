// --cpuset-cpus / --cpuset-mems: moby's parsers.ParseUintList(Maximum) (the list syntax
// of cpuset.cpus) and sysinfo's isCpusetListAvailable with the daemon's messages from
// verifyPlatformContainerResources. The available list is what the container's cgroup
// parent offers (cpuset.cpus.effective), passed in.
import { UsageError } from '../../errors.js';

/** moby: 8192 CPUs (Linux's usual NR_CPUS ceiling) unless the host lists more. */
export const MAX_CPUSET_INDEX = 8192;

function atoi(s: string): number | undefined {
  // strconv.Atoi: optional sign, decimal digits.
  return /^[+-]?[0-9]+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : undefined;
}

/**
 * moby parseUintList: "0-2,4,7" -> {0,1,2,4,7}. Duplicates are allowed; "" is empty.
 * Errors: `invalid format: VALUE`, or `value of out range, maximum is N` (moby's typo).
 */
export function parseCpuList(value: string, maximum = 0): Set<number> {
  const out = new Set<number>();
  if (value === '') return out;
  const invalidFormat = (): Error => new Error(`invalid format: ${value}`);
  for (const r of value.split(',')) {
    const dash = r.indexOf('-');
    if (dash < 0) {
      const v = atoi(r);
      if (v === undefined) throw invalidFormat();
      if (maximum !== 0 && v > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
      out.add(v);
      continue;
    }
    const min = atoi(r.slice(0, dash));
    const max = atoi(r.slice(dash + 1));
    if (min === undefined || max === undefined || max < min) throw invalidFormat();
    if (maximum !== 0 && max > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
    for (let i = min; i <= max; i++) out.add(i);
  }
  return out;
}

/** The canonical kernel form of a set: sorted, runs joined ("0-2,4,7"). */
export function formatCpuList(cpus: Iterable<number>): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Rewrite a valid list in canonical form ("3,0-1,1" -> "0-1,3"). */
export function canonicalCpuList(value: string): string {
  return formatCpuList(parseCpuList(value, MAX_CPUSET_INDEX));
}

/**
 * The daemon's check of `--cpuset-cpus VALUE` against AVAILABLE (e.g. "0-1"):
 * `Invalid value 2-1 for cpuset cpus: invalid format: 2-1`, or, on a two-CPU host,
 * `Requested CPUs are not available - requested 99, available: 0-1`. KIND "mems" gives
 * the --cpuset-mems wording.
 */
export function validateCpuset(value: string, available: string, kind: 'cpus' | 'mems' = 'cpus'): Set<number> {
  const have = parseCpuList(available);
  let maximum = MAX_CPUSET_INDEX;
  for (const c of have) if (c > maximum) maximum = c;
  let wanted: Set<number>;
  try {
    wanted = parseCpuList(value, maximum);
  } catch (e) {
    throw new UsageError(`Invalid value ${value} for cpuset ${kind}: ${(e as Error).message}`, 'use a list such as 0-1,3');
  }
  for (const c of wanted) {
    if (!have.has(c)) {
      throw new UsageError(
        kind === 'cpus'
          ? `Requested CPUs are not available - requested ${value}, available: ${available}`
          : `Requested memory nodes are not available - requested ${value}, available: ${available}`,
        `choose from ${available}`);
    }
  }
  return wanted;
}
