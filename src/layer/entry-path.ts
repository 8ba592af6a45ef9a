// Interim path cleaning and whiteout classification for layer entries. The Wasm/TS tar
// module (src/layer/tar/index.ts) provides cleanPath/classifyWhiteout; until it lands,
// these follow the same rules: names are cleaned lexically, and anything that would
// leave the layer root (a "..", an absolute name) is refused, not clamped.
export type PathCheck = { ok: true; path: string } | { ok: false; reason: string };

/** "./a//b/" -> "a/b"; "." and "./" -> "" (the layer root). */
export function cleanEntryPath(name: string): PathCheck {
  if (name.includes('\0')) return { ok: false, reason: 'contains a NUL byte' };
  if (name.startsWith('/')) return { ok: false, reason: 'is an absolute path' };
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return { ok: false, reason: 'leaves the layer root through ".."' };
      out.pop();
      continue;
    }
    out.push(part);
  }
  return { ok: true, path: out.join('/') };
}

export type WhiteoutKind = { kind: 'none' } | { kind: 'opaque' } | { kind: 'whiteout'; target: string } | { kind: 'invalid'; reason: string } | { kind: 'meta' };

const WH = '.wh.';

/** Classify the last component of a cleaned path. */
export function whiteoutOf(base: string): WhiteoutKind {
  if (!base.startsWith(WH)) return { kind: 'none' };
  if (base === '.wh..wh..opq') return { kind: 'opaque' };
  if (base.startsWith('.wh..wh.')) return { kind: 'meta' }; // aufs bookkeeping (.wh..wh.plnk ...): ignored like docker does
  const target = base.slice(WH.length);
  if (target === '' ) return { kind: 'invalid', reason: 'a bare ".wh." whiteout names nothing' };
  if (target === '.' || target === '..') return { kind: 'invalid', reason: `whiteout of "${target}"` };
  return { kind: 'whiteout', target };
}
