// What a command runs with: the user's streams, environment and global options, and the
// engine (created on first use, inside the namespace when the command joins it).
import type { EngineContext } from '../engine/context.js';
import type { Engine } from '../engine/index.js';
import { markPhase } from '../engine/phases.js';
import type { GlobalOptions } from './globals.js';
import { FdOutput, fdIsTerminal, type Output } from './output.js';

export class CommandContext {
  readonly stdout: Output = new FdOutput(1);
  readonly stderr: Output = new FdOutput(2);
  private engineInstance: Engine | undefined;
  private contextInstance: EngineContext | undefined;

  constructor(
    readonly globals: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Node's stdin stream, created only by the commands that read it. */
  get stdin(): NodeJS.ReadStream {
    return process.stdin;
  }

  get stdinIsTTY(): boolean {
    return fdIsTerminal(0);
  }

  /** The engine's settings and store for this command (the run path uses it without the
   * whole Engine facade, which would bring every verb into the run bundle). Loaded on
   * first use: the store and the layer drivers it brings cost `hx version` ~10 ms. */
  async engineContext(): Promise<EngineContext> {
    const { EngineContext } = await import('../engine/context.js');
    this.contextInstance ??= new EngineContext({
      env: this.env,
      onPhase: markPhase,
      ...(this.globals.root ? { storageRoot: this.globals.root } : {}),
      ...(this.globals.runroot ? { runtimeDir: this.globals.runroot } : {}),
      ...(this.globals.storageDriver ? { storageDriver: this.globals.storageDriver } : {}),
    });
    return this.contextInstance;
  }

  /** How the whole Engine is loaded: set by the CLI's entry (main.ts). The run bundle
   * (build/run.cjs) sets none, so it does not carry every verb of the engine. */
  static loadEngine: (() => Promise<typeof import('../engine/index.js')>) | undefined;

  /** The engine this command uses, with the global options applied. */
  async engine(): Promise<Engine> {
    if (!this.engineInstance) {
      if (!CommandContext.loadEngine) throw new Error('the Engine is not available in this bundle');
      const { Engine } = await CommandContext.loadEngine();
      this.engineInstance = Engine.from(await this.engineContext());
    }
    return this.engineInstance;
  }
}
