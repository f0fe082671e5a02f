import { Composer, LineCounter, Parser, type YAMLError } from 'yaml';
import { StateParseError } from '../errors.js';
import { firstConflictMarker } from './find-conflict-markers.js';
import { rememberTokens } from './cst-cache.js';
import { quotedExcerpt, sourceExcerpt } from '../text/quoted-excerpt.js';
import { RecentTexts } from '../text/recent-texts.js';

export { rewriteYaml } from './yaml-rewrite.js';

/**
 * Reading the state file: text → plain data, refusing anything that is not a whole, valid state.
 * "Corrupt" must never look like "missing": a caller that took a broken file for an absent one
 * would overwrite the user's data.
 */

export interface ParsedState {
  text: string;
  data: Record<string, unknown>;
  revision: number;
}

/** Alias expansion is bounded so a "billion laughs" file cannot exhaust memory. */
const MAX_ALIAS_COUNT = 100;

/**
 * The last few texts parsed, with their data: a merge, a reconcile or a verify parses the same text
 * (a base, a side) several times, and a cold parse of the real file costs 20–70 ms against under
 * 1 ms for a copy. Callers get their own copy, so one that edits its data changes no other's.
 */
const recentParses = new RecentTexts<ParsedState>(4);

export function parseStateText(text: string, file: string): ParsedState {
  const known = recentParses.find(text);
  if (known !== undefined) return { text, data: structuredClone(known.data), revision: known.revision };
  const parsed = parseFresh(text, file);
  recentParses.remember(text, { ...parsed, data: structuredClone(parsed.data) });
  return parsed;
}

function parseFresh(text: string, file: string): ParsedState {
  if (text.trim() === '') throw new StateParseError(file, 'the file is empty (expected a YAML mapping)');
  rejectConflictMarkers(text, file);

  const lineCounter = new LineCounter();
  const tokens = Array.from(new Parser(lineCounter.addNewLine).parse(text));
  const docs = Array.from(new Composer({ prettyErrors: false, logLevel: 'error' }).compose(tokens));
  const position = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };

  if (docs.length !== 1) {
    const second = docs[1];
    throw new StateParseError(
      file,
      `expected one YAML document, found ${docs.length}`,
      second?.range ? position(second.range[0]) : undefined,
    );
  }
  const doc = docs[0]!;
  if (doc.errors.length > 0) {
    // A syntax error says more about what went wrong than the duplicate keys it may cause.
    const errors = [...doc.errors].sort((a, b) => rank(a) - rank(b) || a.pos[0] - b.pos[0]);
    const first = errors[0]!;
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
    throw new StateParseError(file, firstLine(first.message) + more, position(first.pos[0]));
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const reason = error instanceof ReferenceError ? `too many alias expansions (${firstLine(error.message)})` : String(error);
    throw new StateParseError(file, reason, undefined, { cause: error });
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    const kind = data === null ? 'nothing' : Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    throw new StateParseError(file, `the top level must be a mapping of keys, found ${kind}`);
  }

  const record = data as Record<string, unknown>;
  let revision = 0;
  if (Object.hasOwn(record, 'revision')) {
    const value = record.revision;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      const node = doc.get('revision', true) as { range?: [number, number, number] } | undefined;
      // Say what the file holds: 5,000 nines read as Infinity, which JSON.stringify calls null.
      const source = node?.range ? text.slice(node.range[0], node.range[1]).trim() : String(value);
      const found = typeof value === 'string' ? quotedExcerpt(value) : sourceExcerpt(source);
      throw new StateParseError(
        file,
        `revision must be a non-negative integer, found ${found}`,
        node?.range ? position(node.range[0]) : undefined,
      );
    }
    revision = value;
  }

  rememberTokens(text, tokens);
  return { text, data: record, revision };
}

function rejectConflictMarkers(text: string, file: string): void {
  const found = firstConflictMarker(text);
  if (found === null) return;
  throw new StateParseError(
    file,
    `git conflict marker "${found.marker}": finish the merge (keep the right lines, delete the markers), then \`git add\` the file`,
    { line: found.line, column: 1 },
  );
}

function rank(error: YAMLError): number {
  return error.code === 'DUPLICATE_KEY' ? 1 : 0;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
