// The base of every hx command: errors become one line plus a hint, and docker's exit codes.
import { Command } from 'clipanion';

export interface HintedError {
  message: string;
  hint?: string | undefined;
  exitCode?: number;
}

export function formatError(error: unknown): { text: string; exitCode: number } {
  if (error instanceof Error && error.name !== 'Error' && 'exitCode' in error) {
    const e = error as Error & HintedError;
    return { text: `hx: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}\n`, exitCode: e.exitCode ?? 125 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { text: `hx: ${message}\n`, exitCode: 125 };
}

export abstract class HxCommand extends Command {
  abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (error) {
      const { text, exitCode } = formatError(error);
      if (process.env.HX_DEBUG && error instanceof Error) this.context.stderr.write(`${error.stack}\n`);
      this.context.stderr.write(text);
      return exitCode;
    }
  }
}
