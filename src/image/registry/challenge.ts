// WWW-Authenticate as registries send it (RFC 7235 auth-params, quoted strings with
// backslash escapes, several challenges in one header separated by commas).
export interface Challenge {
  scheme: string; // lower-case: 'bearer', 'basic'
  params: Record<string, string>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (!header) return [];
  const text = Array.isArray(header) ? header.join(', ') : header;
  const out: Challenge[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t' || text[i] === ',')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+\-.^_`|~0-9A-Za-z]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  while (i < n) {
    skipSpace();
    const scheme = token();
    if (!scheme) {
      i++;
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    // auth-params: name=value pairs until the next bare token (a new scheme).
    for (;;) {
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      const save = i;
      if (text[i] === ',') i++;
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      const name = token();
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (!name || text[i] !== '=') {
        i = save;
        break;
      }
      i++;
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i];
          i++;
        }
        i++;
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== ' ') i++;
        value = text.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return out;
}
