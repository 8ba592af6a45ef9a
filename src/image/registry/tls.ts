// Which CAs a registry connection trusts. Node's bundled roots, plus: the user's
// NODE_EXTRA_CA_CERTS (which the launcher moves to HX_EXTRA_CA_CERTS so that commands
// that never open TLS do not pay Node's start-up parse of it), CA files from the
// registries config, and docker/podman style certs.d directories for the host.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { HxError } from '../../errors.js';
import type { UserFiles } from '../../host/user-files.js';

/** CA files for a host: the global extras, the configured ones, then certs.d/HOST/*.crt. */
export function caFilesFor(user: UserFiles, host: string, configured: string[]): string[] {
  const files: string[] = [];
  if (user.extraCaCerts) files.push(user.extraCaCerts);
  files.push(...configured);
  for (const dir of user.certsDirs.map((d) => join(d, host))) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) if (name.endsWith('.crt')) files.push(join(dir, name));
  }
  return files;
}

const contexts = new Map<string, SecureContext>();

/**
 * A secure context trusting the bundled roots plus `files`; undefined when there are no
 * extras (Node's default context is then both right and cheapest). Built once per set.
 */
export function secureContextFor(files: string[], softFile?: string): SecureContext | undefined {
  if (files.length === 0) return undefined;
  const key = files.join('\0');
  let context = contexts.get(key);
  if (!context) {
    const pems: string[] = [];
    for (const file of files) {
      try {
        pems.push(readFileSync(file, 'utf8'));
      } catch (e) {
        // The user's own NODE_EXTRA_CA_CERTS missing is a warning in Node; keep it soft here too.
        if (file === softFile) continue;
        throw new HxError(`cannot read CA file ${file}: ${(e as Error).message}`, { hint: 'fix the "ca" entry in the registries config' });
      }
    }
    try {
      context = createSecureContext({ ca: [...rootCertificates, ...pems] });
    } catch (e) {
      throw new HxError(`a CA file is not valid PEM (${files.join(', ')}): ${(e as Error).message}`);
    }
    contexts.set(key, context);
  }
  return context;
}
