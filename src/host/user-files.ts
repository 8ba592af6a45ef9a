// Where the user's own registry settings, credentials and certificates are, from their
// environment (XDG dirs, DOCKER_CONFIG, HX_AUTH_FILE...). Computed once by the engine from
// the environment it is given; the registry client receives the result and reads no
// environment itself.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { userConfigDir } from './paths.js';

export interface UserFiles {
  /** hx's own config dir (~/.config/hx). */
  configDir: string;
  /** hx's credentials file (HX_AUTH_FILE, else ~/.config/hx/auth.json). */
  authFile: string;
  /** Podman's auth files, in the order podman reads them. */
  containersAuthFiles: string[];
  /** docker's config.json (DOCKER_CONFIG, else ~/.docker). */
  dockerConfig: string;
  /** The registries config files, lowest priority first. */
  registriesConf: string[];
  /** Directories holding per-registry certs.d/HOST dirs. */
  certsDirs: string[];
  /** The user's NODE_EXTRA_CA_CERTS (the launcher moves it to HX_EXTRA_CA_CERTS). */
  extraCaCerts?: string;
}

export function userFiles(env: NodeJS.ProcessEnv): UserFiles {
  const home = env.HOME || homedir();
  const configHome = env.XDG_CONFIG_HOME || join(home, '.config');
  const configDir = userConfigDir(env);
  const containersAuthFiles: string[] = [];
  if (env.XDG_RUNTIME_DIR) containersAuthFiles.push(join(env.XDG_RUNTIME_DIR, 'containers', 'auth.json'));
  containersAuthFiles.push(join(configHome, 'containers', 'auth.json'));
  const files: UserFiles = {
    configDir,
    authFile: env.HX_AUTH_FILE || join(configDir, 'auth.json'),
    containersAuthFiles,
    dockerConfig: join(env.DOCKER_CONFIG || join(home, '.docker'), 'config.json'),
    registriesConf: env.HX_REGISTRIES_CONF ? [env.HX_REGISTRIES_CONF] : ['/etc/hx/registries.json', join(configDir, 'registries.json')],
    certsDirs: [join(configHome, 'containers', 'certs.d'), '/etc/containers/certs.d', '/etc/docker/certs.d'],
  };
  const extra = env.HX_EXTRA_CA_CERTS || env.NODE_EXTRA_CA_CERTS;
  if (extra) files.extraCaCerts = extra;
  return files;
}
