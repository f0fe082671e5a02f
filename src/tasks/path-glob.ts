/**
 * Glob patterns for repository paths (`/`-separated, relative to the repository root), anchored at
 * the root: `*` and `?` stay inside one path segment, `**` spans any number of segments (also none),
 * `[...]` is a character class, `{a,b}` alternatives, and a trailing `/` means "everything below".
 * `**\/roadmap.md` matches at any depth; `docs/` matches `docs/a.md` and `docs/x/y.md`.
 */
export type PathMatcher = (path: string) => boolean;

export function compileGlob(pattern: string): RegExp {
  let source = pattern.endsWith('/') ? `${pattern}**` : pattern;
  if (source.startsWith('/')) source = source.slice(1);
  return new RegExp(`^${translate(source)}$`, 'u');
}

export function matcherFor(patterns: readonly string[]): PathMatcher {
  const regexps = patterns.map(compileGlob);
  return (path) => regexps.some((r) => r.test(path));
}

function translate(glob: string): string {
  let out = '';
  let braceDepth = 0;
  for (let i = 0; i < glob.length; i += 1) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const atSegmentStart = i === 0 || glob[i - 1] === '/';
        const next = glob[i + 2];
        if (atSegmentStart && next === '/') {
          out += '(?:[^/]*/)*'; // `**/`: zero or more whole segments
          i += 2;
          continue;
        }
        if (atSegmentStart && next === undefined) {
          out += '[\\s\\S]*'; // trailing `**`: everything below (a file name may hold a newline)
          i += 1;
          continue;
        }
        i += 1; // `**` inside a segment behaves like `*`
      }
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      out += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '{') {
      braceDepth += 1;
      out += '(?:';
    } else if (c === '}' && braceDepth > 0) {
      braceDepth -= 1;
      out += ')';
    } else if (c === ',' && braceDepth > 0) {
      out += '|';
    } else {
      out += c.replace(/[.+^$()|\\{}\]]/g, '\\$&');
    }
  }
  return out;
}
