import type { CommandClass } from 'clipanion';
import { InfoCommand } from './info.js';
import { SystemMigrateCommand } from './system-migrate.js';
import { UnshareCommand } from './unshare.js';
import { VersionCommand } from './version.js';

export const commands: CommandClass[] = [VersionCommand, InfoCommand, UnshareCommand, SystemMigrateCommand];
