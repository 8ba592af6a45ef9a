// validateImageSource: the invariants every ImageSource keeps, checked on any
// implementation the way go-containerregistry's validate.Image checks a v1.Image. What
// a source states (config, manifest, layer digests, sizes, media types) is compared with
// what its bytes are: each layer is read twice, whole. For tests: storeImage() checks
// what it relies on as it ingests, and never reads a layer twice.
import { isDeepStrictEqual } from 'node:util';
import { HxError } from '../errors.js';
import { TarStreamParser } from '../layer/tar/parser.js';
import { parseImageConfig } from './config.js';
import { checkDescriptor } from './descriptor.js';
import { layerCompression, MANIFEST_TYPES, type Descriptor } from './media.js';
import { formatReference, parseReference, repositoryName, withDefaultTag } from './reference.js';
import { measureLayer, sha256Of, type ImageSource, type LayerFacts, type LayerSource } from './source.js';

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Every problem of SRC, one sentence each; empty when it keeps every invariant. */
export async function validateImageSource(src: ImageSource): Promise<string[]> {
  const problems: string[] = [];
  const say = (p: string): void => {
    problems.push(p);
  };
  const diffIds = checkConfig(src, say);
  const manifestLayers = src.manifest ? checkManifest(src, say) : undefined;
  for (const [i, layer] of src.layers.entries()) {
    await checkLayer(layer, `layer ${i + 1} (${layer.label})`, diffIds?.[i], manifestLayers?.[i], say);
  }
  checkNames(src, say);
  return problems;
}

/** validateImageSource, as an HxError (kind 'data') naming each problem of SRC (WHAT names it). */
export async function assertValidImageSource(src: ImageSource, what: string): Promise<void> {
  const problems = await validateImageSource(src);
  if (problems.length === 0) return;
  throw new HxError(`${what} is not a valid image source:\n  ${problems.join('\n  ')}`, {
    kind: 'data',
    hint: 'the source states what its bytes are not: see each line',
  });
}

/** The config's own invariants; returns its diff_ids. */
function checkConfig(src: ImageSource, say: (p: string) => void): string[] | undefined {
  let parsed;
  try {
    parsed = parseImageConfig(src.configBytes);
  } catch (e) {
    say(`config: the bytes do not parse: ${message(e)}`);
  }
  if (parsed && !isDeepStrictEqual(parsed, src.config)) say('config: the parsed config differs from what the config bytes say');
  const diffIds = (parsed ?? src.config).rootfs?.diff_ids;
  if (!Array.isArray(diffIds)) return undefined;
  if (diffIds.length !== src.layers.length) say(`config: rootfs.diff_ids lists ${diffIds.length} layer(s), the source has ${src.layers.length}`);
  return diffIds;
}

/** The manifest's own invariants and what it says of the config; returns its layer descriptors. */
function checkManifest(src: ImageSource, say: (p: string) => void): Descriptor[] | undefined {
  const m = src.manifest!;
  const actual = sha256Of(m.bytes);
  if (m.digest !== actual) say(`manifest: digest ${m.digest}, but its bytes hash to ${actual}`);
  if (!MANIFEST_TYPES.has(m.mediaType)) say(`manifest: media type ${m.mediaType} is not an image manifest type`);
  let doc: { schemaVersion?: unknown; mediaType?: unknown; config?: unknown; layers?: unknown };
  try {
    doc = JSON.parse(m.bytes.toString('utf8')) as typeof doc;
  } catch (e) {
    say(`manifest: not valid JSON (${message(e)})`);
    return undefined;
  }
  if (doc.schemaVersion !== 2) say(`manifest: schemaVersion is ${JSON.stringify(doc.schemaVersion)}, not 2`);
  if (doc.mediaType !== undefined && doc.mediaType !== m.mediaType) say(`manifest: its mediaType field is ${JSON.stringify(doc.mediaType)}, the source says ${m.mediaType}`);
  const refuse = (text: string): never => {
    throw new Error(text);
  };
  try {
    const config = checkDescriptor(doc.config, 'manifest config', refuse);
    const digest = sha256Of(src.configBytes);
    if (config.digest !== digest) say(`manifest: config digest ${config.digest}, but the config bytes hash to ${digest}`);
    if (config.size !== src.configBytes.length) say(`manifest: config size ${config.size}, but the config has ${src.configBytes.length} bytes`);
  } catch (e) {
    say(message(e));
  }
  if (!Array.isArray(doc.layers)) {
    say('manifest: no layers list');
    return undefined;
  }
  if (doc.layers.length !== src.layers.length) say(`manifest: lists ${doc.layers.length} layer(s), the source has ${src.layers.length}`);
  const layers: Descriptor[] = [];
  for (const [i, d] of (doc.layers as unknown[]).entries()) {
    try {
      layers.push(checkDescriptor(d, `manifest layers[${i}]`, refuse));
    } catch (e) {
      say(message(e));
      return undefined;
    }
  }
  return layers;
}

/** Read LAYER whole, hashing the blob and the tar and parsing the tar; a tar error does not stop the hashes. */
async function readLayer(layer: LayerSource): Promise<{ facts: LayerFacts; tarError?: string }> {
  let tarError: string | undefined;
  const parser = new TarStreamParser({ onEntry() {} });
  const facts = await measureLayer(layer, (chunk) => {
    if (tarError !== undefined) return;
    try {
      parser.push(chunk);
    } catch (e) {
      tarError = message(e);
    }
  });
  if (tarError === undefined) {
    try {
      parser.end();
    } catch (e) {
      tarError = message(e);
    }
  }
  return tarError === undefined ? { facts } : { facts, tarError };
}

async function checkLayer(layer: LayerSource, where: string, diffId: string | undefined, desc: Descriptor | undefined, say: (p: string) => void): Promise<void> {
  let first;
  try {
    first = await readLayer(layer);
  } catch (e) {
    say(`${where}: open() gives no readable blob: ${message(e)}`);
    return;
  }
  const f = first.facts;
  if (layer.digest !== undefined && layer.digest !== f.digest) say(`${where}: digest ${layer.digest}, but its bytes hash to ${f.digest}`);
  if (layer.size !== undefined && layer.size !== f.size) say(`${where}: size ${layer.size}, but open() gives ${f.size} bytes`);
  if (layer.diffId !== undefined && layer.diffId !== f.diffId) say(`${where}: diff_id ${layer.diffId}, but its uncompressed bytes hash to ${f.diffId}`);
  if (layer.uncompressedSize !== undefined && layer.uncompressedSize !== f.uncompressedSize) {
    say(`${where}: uncompressed size ${layer.uncompressedSize}, but the tar has ${f.uncompressedSize} bytes`);
  }
  if (diffId !== undefined && diffId !== f.diffId) say(`${where}: the config's diff_id is ${diffId}, but its uncompressed bytes hash to ${f.diffId}`);
  const codec = layerCompression(layer.mediaType);
  if (codec === undefined) say(`${where}: media type ${layer.mediaType} is not a layer type`);
  else if (codec !== f.compression) say(`${where}: media type ${layer.mediaType} means ${codec}, but the blob is ${f.compression === 'none' ? 'not compressed' : f.compression}`);
  if (first.tarError !== undefined) say(`${where}: the uncompressed blob is not a tar archive: ${first.tarError}`);
  if (desc) {
    if (desc.digest !== f.digest) say(`${where}: the manifest says digest ${desc.digest}, but its bytes hash to ${f.digest}`);
    if (desc.size !== f.size) say(`${where}: the manifest says size ${desc.size}, but open() gives ${f.size} bytes`);
    if (desc.mediaType !== layer.mediaType) say(`${where}: the manifest says media type ${desc.mediaType}, the layer ${layer.mediaType}`);
  }
  try {
    const again = await measureLayer(layer);
    if (again.digest !== f.digest) say(`${where}: a second open() gives other bytes (${again.digest}, first ${f.digest})`);
  } catch (e) {
    say(`${where}: a second open() fails: ${message(e)}`);
  }
}

/** Names are normalized tagged references; repo digests name a repository and a sha256 digest. */
function checkNames(src: ImageSource, say: (p: string) => void): void {
  for (const name of src.names) {
    let normal: string | undefined;
    try {
      const ref = parseReference(name);
      normal = ref.digest === undefined ? formatReference(withDefaultTag(ref)) : undefined;
    } catch {
      normal = undefined;
    }
    if (normal !== name) say(`name "${name}" is not a normalized tagged reference${normal ? ` (that is ${normal})` : ''}`);
  }
  for (const entry of src.repoDigests) {
    const m = /^([^@]+)@(sha256:[a-f0-9]{64})$/.exec(entry);
    let repo: string | undefined;
    try {
      const ref = m ? parseReference(m[1]!) : undefined;
      repo = ref && ref.tag === undefined && ref.digest === undefined ? repositoryName(ref) : undefined;
    } catch {
      repo = undefined;
    }
    if (!m || repo !== m[1]) say(`repo digest "${entry}" is not REPOSITORY@sha256:DIGEST with a normalized repository`);
  }
}
