// The one error type of the tar code: a malformed, truncated or unsupported archive, or a
// name that cannot be placed under a root. Both readers build it from the same codes, so
// the Wasm and TypeScript engines fail with identical messages.
import { HxError } from '../../errors.js';
import { FIELD_NAMES, MAX_CHAIN_SIZE, MAX_NAME_SIZE, MAX_PAX_SIZE, MAX_XATTRS, TarErrorCode } from './constants.js';

const CORRUPT_HINT = 'the archive is corrupt or not a tar; check that it was fully downloaded and is not compressed';

export class TarFormatError extends HxError {
  readonly code: number;
  /** Entry name as far as it is known (header name field, pax header name, or the full name). */
  readonly entryName: string;
  /** Stream offset of the header the error is about (-1 when none). */
  readonly offset: number;
  constructor(message: string, opts: { code?: number; entryName?: string; offset?: number; hint?: string } = {}) {
    super(message, { kind: 'data', hint: opts.hint ?? CORRUPT_HINT });
    this.name = 'TarFormatError';
    this.code = opts.code ?? 0;
    this.entryName = opts.entryName ?? '';
    this.offset = opts.offset ?? -1;
  }
}

/** Describe a scanner error code as a message naming the entry and what is wrong. */
export function tarScanError(code: number, detail: number, entryName: string, offset: number): TarFormatError {
  const field = FIELD_NAMES[detail] ?? `field ${detail}`;
  let what: string;
  let hint: string | undefined;
  switch (code) {
    case TarErrorCode.BadChecksum:
      what = 'header checksum does not match';
      break;
    case TarErrorCode.BadNumber:
      what = `${field} is not a valid number`;
      break;
    case TarErrorCode.Negative:
      what = `${field} is negative`;
      break;
    case TarErrorCode.TooBig:
      what = `${field} is too large (limit ${detail === 2 || detail === 3 ? '2^32-1' : '2^53-1'})`;
      break;
    case TarErrorCode.PaxTooBig:
      what = `pax extended header is larger than ${MAX_PAX_SIZE} bytes`;
      break;
    case TarErrorCode.NameTooBig:
      what = `long name or link target is longer than ${MAX_NAME_SIZE} bytes`;
      break;
    case TarErrorCode.BadPaxRecord:
      what = 'malformed pax extended header record';
      break;
    case TarErrorCode.BadPaxValue:
      what = `pax ${field} value is not a valid number`;
      break;
    case TarErrorCode.UnsupportedType:
      what = `unsupported entry type '${detail >= 32 && detail < 127 ? String.fromCharCode(detail) : `\\x${detail.toString(16)}`}'`;
      hint = 'hx reads files, directories, links, devices and fifos; re-create the archive without this entry';
      break;
    case TarErrorCode.Sparse:
      what = 'sparse files are not supported (OCI layers should not contain them)';
      hint = 're-create the archive without --sparse';
      break;
    case TarErrorCode.LoneZeroBlock:
      what = 'a single zero block is followed by more data';
      break;
    case TarErrorCode.ZeroInChain:
      what = 'an extended header is not followed by an entry';
      break;
    case TarErrorCode.TooManyXattrs:
      what = `more than ${MAX_XATTRS} xattrs on one entry`;
      break;
    case TarErrorCode.ChainTooBig:
      what = `extended headers before one entry exceed ${MAX_CHAIN_SIZE} bytes`;
      break;
    default:
      what = `format error ${code}`;
  }
  const at = entryName !== '' ? `tar entry "${entryName}" at byte ${offset}` : `tar header at byte ${offset}`;
  return new TarFormatError(`${at}: ${what}`, { code, entryName, offset, ...(hint !== undefined ? { hint } : {}) });
}

/** Errors about where the stream ended. */
export function tarEndError(code: number, entryName: string, offset: number, detail = ''): TarFormatError {
  let message: string;
  switch (code) {
    case TarErrorCode.TruncatedData:
      message = `tar archive is truncated in the data of "${entryName}" (${detail})`;
      break;
    case TarErrorCode.TruncatedHeader:
      message = `tar archive is truncated inside a header at byte ${offset}`;
      break;
    case TarErrorCode.Empty:
      message = 'tar archive is empty (0 bytes)';
      break;
    default:
      message = `tar archive ends at byte ${offset} without the end-of-archive marker; it is probably truncated`;
  }
  return new TarFormatError(message, { code, entryName, offset });
}

/** A name that cannot be placed beneath a root, or an invalid whiteout. */
export function tarNameError(code: number, name: string): TarFormatError {
  const shown = JSON.stringify(name);
  switch (code) {
    case TarErrorCode.EmptyName:
      return new TarFormatError('tar entry has an empty name', { code, entryName: name });
    case TarErrorCode.PathEscapes:
      return new TarFormatError(`tar entry ${shown} points outside the root (through "..")`, {
        code,
        entryName: name,
        hint: 'the archive tries to write outside its directory; do not use it',
      });
    case TarErrorCode.NulInName:
      return new TarFormatError(`tar entry ${shown} has a NUL byte in its name`, { code, entryName: name });
    case TarErrorCode.BareWhiteout:
      return new TarFormatError(`tar entry ${shown} is a bare ".wh." whiteout, which names nothing`, { code, entryName: name });
    default:
      return new TarFormatError(`tar entry ${shown} is an invalid whiteout`, { code, entryName: name });
  }
}
