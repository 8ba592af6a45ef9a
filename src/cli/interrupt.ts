// Commands that stream until the user stops them (logs -f, events): Ctrl-C or SIGTERM
// aborts BODY's signal, so it ends its stream and the command exits 0 as docker's does.
export async function untilInterrupted<T>(body: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await body(abort.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
