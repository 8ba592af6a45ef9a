// --log-driver / --log-opt: docker CLI's parseLoggingOpts (KEY=VALUE list to map), moby's
// logger.ValidateLogOpts (mode, max-buffer-size, known driver) and the json-file driver's
// ValidateLogOpt and New (max-size, max-file, compress), with the daemon's messages.
import { UsageError } from '../../errors.js';
import { GoNumError, goAtoi, goParseBool } from './go.js';
import { fromHumanSize, ramInBytes } from './units.js';

export type LogOpts = Record<string, string>;

/** docker CLI ConvertKVStringsToMap: "k=v" -> k:v, "k" -> k:"" (later wins). */
export function logOptsToMap(opts: readonly string[]): LogOpts {
  const out: LogOpts = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq < 0) out[o] = '';
    else out[o.slice(0, eq)] = o.slice(eq + 1);
  }
  return out;
}

/** docker CLI parseLoggingOpts: options with `--log-driver none` are refused. */
export function parseLoggingOpts(driver: string, opts: readonly string[]): LogOpts {
  if (driver === 'none' && opts.length > 0) {
    throw new UsageError(`invalid logging opts for driver ${driver}`, 'drop --log-opt, or use --log-driver json-file');
  }
  return logOptsToMap(opts);
}

const JSON_FILE_KEYS = new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag']);
const BUILT_IN = new Set(['mode', 'max-buffer-size']);

/** The json-file settings hx acts on, with docker's defaults (one file, no size cap). */
export interface JsonFileOptions {
  /** bytes per file, -1 for no rotation */
  maxSize: number;
  maxFiles: number;
  compress: boolean;
  mode: 'blocking' | 'non-blocking';
  /** the non-blocking ring buffer, bytes (docker's default 1 MB) */
  maxBufferSize: number;
}

const LOG_HINT = 'json-file takes max-size=SIZE (10m), max-file=N, compress=true|false, mode=blocking|non-blocking, labels, env, tag';

function invalid(message: string): UsageError {
  return new UsageError(message, LOG_HINT);
}

/**
 * moby ValidateLogOpts then jsonfilelog.New for DRIVER (hx writes json-file; "none"
 * takes nothing; "local" and the rest are not implemented). Returns what the log writer
 * needs. max-size is read with FromHumanSize: decimal, 10m = 10,000,000 bytes.
 */
export function validateLogConfig(driver: string, cfg: LogOpts): JsonFileOptions | undefined {
  if (driver === 'none') return undefined;
  const mode = cfg.mode ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') throw invalid(`logger: logging mode not supported: ${mode}`);
  let maxBufferSize = 1_000_000;
  if (cfg['max-buffer-size'] !== undefined) {
    if (mode !== 'non-blocking') throw invalid("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    try {
      maxBufferSize = ramInBytes(cfg['max-buffer-size']);
    } catch (e) {
      throw invalid(`error parsing option max-buffer-size: ${(e as Error).message}`);
    }
  }
  if (driver !== 'json-file') {
    throw new UsageError(`logger: no log driver named '${driver}' is registered`, 'hx writes json-file logs; use --log-driver json-file or none');
  }
  for (const key of Object.keys(cfg)) {
    if (!BUILT_IN.has(key) && !JSON_FILE_KEYS.has(key)) throw invalid(`unknown log opt '${key}' for json-file log driver`);
  }
  let maxSize = -1;
  if (cfg['max-size'] !== undefined) {
    try {
      maxSize = fromHumanSize(cfg['max-size']);
    } catch (e) {
      throw invalid((e as Error).message);
    }
    if (maxSize <= 0) throw invalid('max-size must be a positive number');
  }
  let maxFiles = 1;
  if (cfg['max-file'] !== undefined) {
    try {
      maxFiles = goAtoi(cfg['max-file']);
    } catch (e) {
      throw invalid((e as GoNumError).message);
    }
    if (maxFiles < 1) throw invalid('max-file cannot be less than 1');
  }
  let compress = false;
  if (cfg.compress !== undefined) {
    try {
      compress = goParseBool(cfg.compress);
    } catch (e) {
      throw invalid((e as GoNumError).message);
    }
    if (compress && (maxFiles === 1 || maxSize === -1)) {
      throw invalid('compress cannot be true when max-file is less than 2 or max-size is not set');
    }
  }
  return { maxSize, maxFiles, compress, mode: mode === 'non-blocking' ? 'non-blocking' : 'blocking', maxBufferSize };
}
