import type { CommandClass } from 'clipanion';
import { InfoCommand } from './info.js';
import { HistoryCommand } from './history.js';
import { ImageInspectCommand } from './image-inspect.js';
import { ImagePruneCommand } from './image-prune.js';
import { ImagesCommand } from './images.js';
import { ImportCommand } from './import.js';
import { LoadCommand } from './load.js';
import { RmiCommand } from './rmi.js';
import { RunCommand } from './run.js';
import { SaveCommand } from './save.js';
import { SystemDfCommand } from './system-df.js';
import { SystemResetCommand } from './system-reset.js';
import { SystemCheckCommand } from './system-check.js';
import { TagCommand } from './tag.js';
import { SystemMigrateCommand } from './system-migrate.js';
import { UnshareCommand } from './unshare.js';
import { VersionCommand } from './version.js';
import { LoginCommand } from './login.js';
import { LogoutCommand } from './logout.js';
import { PullCommand } from './pull.js';
import { PushCommand } from './push.js';
import { BenchLayersCommand } from './bench-layers.js';
import { BenchRunCommand } from './bench-run.js';

export const commands: CommandClass[] = [VersionCommand, InfoCommand, UnshareCommand, SystemMigrateCommand, RunCommand,
  // images (issue 4)
  LoadCommand, ImagesCommand, RmiCommand, TagCommand, ImageInspectCommand, HistoryCommand, ImagePruneCommand, SystemDfCommand, SystemResetCommand, SystemCheckCommand, SaveCommand, ImportCommand,
  // registries (issue 5)
  PullCommand, PushCommand, LoginCommand, LogoutCommand,
  // benchmarks (issue 6)
  BenchLayersCommand, BenchRunCommand];
