// The base of every hx command: errors become one line plus a hint, and docker's exit codes.
import { Command } from 'clipanion';
import { formatError } from './errors.js';

export { formatError };

export abstract class HxCommand extends Command {
  abstract run(): Promise<number | void>;

  async execute(): Promise<number> {
    try {
      return (await this.run()) ?? 0;
    } catch (error) {
      const { text, exitCode } = formatError(error);
      this.context.stderr.write(text);
      return exitCode;
    }
  }
}
