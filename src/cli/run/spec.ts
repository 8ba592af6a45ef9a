// `hx run`'s flags, docker's names and shorthands. Its own module: the run bundle
// (build/run.cjs, start-up latency is the product there) reads it without the rest of
// the command table.
import type { CommandShape, FlagSpec } from '../spec.js';

export const RUN_FLAGS: FlagSpec[] = [
  { name: 'rootfs', type: 'string', typeName: 'string', description: 'Run with DIR as the root filesystem instead of an image (like podman --rootfs)', complete: 'dirs' },
  { name: 'interactive', short: 'i', type: 'bool', description: 'Keep STDIN open even if not attached' },
  { name: 'tty', short: 't', type: 'bool', description: 'Allocate a pseudo-TTY' },
  { name: 'rm', type: 'bool', description: 'Automatically remove the container and its associated anonymous volumes when it exits' },
  { name: 'detach', short: 'd', type: 'bool', description: 'Run container in background and print container ID' },
  { name: 'env', short: 'e', type: 'list', typeName: 'list', description: 'Set environment variables' },
  { name: 'env-file', type: 'list', typeName: 'list', description: 'Read in a file of environment variables', complete: 'files' },
  { name: 'workdir', short: 'w', type: 'string', typeName: 'string', description: 'Working directory inside the container' },
  { name: 'user', short: 'u', type: 'string', typeName: 'string', description: 'Username or UID (format: <name|uid>[:<group|gid>])' },
  { name: 'group-add', type: 'list', typeName: 'list', description: 'Add additional groups to join' },
  { name: 'hostname', short: 'h', type: 'string', typeName: 'string', description: 'Container host name' },
  { name: 'volume', short: 'v', type: 'list', typeName: 'list', description: 'Bind mount a volume' },
  { name: 'mount', type: 'list', typeName: 'mount', description: 'Attach a filesystem mount to the container' },
  { name: 'tmpfs', type: 'list', typeName: 'list', description: 'Mount a tmpfs directory' },
  { name: 'read-only', type: 'bool', description: "Mount the container's root filesystem as read only" },
  { name: 'cap-add', type: 'list', typeName: 'list', description: 'Add Linux capabilities' },
  { name: 'cap-drop', type: 'list', typeName: 'list', description: 'Drop Linux capabilities' },
  { name: 'privileged', type: 'bool', description: 'Give extended privileges to this container' },
  { name: 'security-opt', type: 'list', typeName: 'list', description: 'Security Options' },
  { name: 'ulimit', type: 'list', typeName: 'ulimit', description: 'Ulimit options' },
  { name: 'init', type: 'bool', description: 'Run an init inside the container that forwards signals and reaps processes' },
  { name: 'network', type: 'string', typeName: 'network', description: 'Connect a container to a network (none, host)', complete: { values: ['none', 'host'] } },
  { name: 'net', type: 'string', typeName: 'network', description: 'Connect a container to a network', hidden: true },
  { name: 'entrypoint', type: 'string', typeName: 'string', description: 'Overwrite the default ENTRYPOINT of the image' },
  { name: 'name', type: 'string', typeName: 'string', description: 'Assign a name to the container' },
  { name: 'pull', type: 'string', typeName: 'string', description: 'Pull image before running ("always", "missing", "never")', defaultText: '"missing"', complete: { values: ['always', 'missing', 'never'] } },
  { name: 'platform', type: 'string', typeName: 'string', description: 'Set platform if server is multi-platform capable' },
  { name: 'sig-proxy', type: 'bool', description: 'Proxy received signals to the process', defaultText: 'true' },
  { name: 'quiet', short: 'q', type: 'bool', description: 'Suppress the pull output' },
];

export const RUN_SPEC: CommandShape = {
  path: ['container', 'run'],
  aliases: [['run']],
  summary: 'Create and run a new container from an image',
  usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
  args: { min: 1, complete: ['images', 'none'] },
  flags: RUN_FLAGS,
  namespace: 'join',
  stopAtFirstArg: true,
  errorExitCode: 125,
  section: 'common',
};
