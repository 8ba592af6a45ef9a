// pflag's message for a flag value its parser refused, which docker prints as is.
import { UsageError } from '../../errors.js';
import { goQuote } from './go.js';

/**
 * pflag's wrapper around a value error: `invalid argument "1x" for "-m, --memory" flag:
 * invalid suffix: 'x'`. FLAG is how docker names it ("-m, --memory", "--cpus").
 */
export function invalidFlagArgument(value: string, flag: string, cause: unknown): UsageError {
  const inner = cause instanceof Error ? cause.message : String(cause);
  const hint = cause instanceof UsageError ? cause.hint : 'see `hx run --help`';
  return new UsageError(`invalid argument ${goQuote(value)} for ${goQuote(flag)} flag: ${inner}`, hint);
}
