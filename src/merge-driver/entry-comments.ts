import { isDeepStrictEqual } from 'node:util';
import { Lexer } from 'yaml';
import { rewriteYaml } from '../document/document.js';
import { cutTopLevel, wholeStyle } from '../document/sections.js';

/**
 * Every comment a side added or changed, kept next to the key it belongs to. Pure: texts in, text out.
 *
 * The merged text is one side's (the layout side's, see merge-state-texts.ts) with the merged values
 * rendered into it, so the other side's comments would be lost. Each text is cut into top-level
 * entries, an entry being a key's lines with the comment lines written above it at column 0; the
 * lines before the first key and the comments after the last entry are two more. Per entry:
 *
 *   - only one side changed its comments → that side's entry text, rewritten to the merged value;
 *   - both changed them differently → a conflict: the entry as each side wrote it (with that side's
 *     values where the merge has a value conflict inside it), for markers around the whole entry;
 *   - otherwise the merged text's entry stays.
 *
 * Comments are what YAML calls comments (a `#` inside a block scalar or a quoted string is text).
 */

/** The lines before the first key, and the comments after the last entry (no key starts with a space). */
const HEADER = ' top';
const FOOTER = ' end';

export interface EntryConflict {
  /** The top-level key, or HEADER / FOOTER. */
  entry: string;
  /** What the conflict markers call it: `comments of blockers`, `comments at the top`. */
  label: string;
  /** Lines of the returned text the entry takes, 0-based, end exclusive. */
  start: number;
  end: number;
  ours: string;
  theirs: string;
}

export interface EntryCommentInput {
  base: string;
  current: string;
  other: string;
  /** The merged text and what it parses to. */
  merged: { text: string; data: Record<string, unknown> };
  /** What the base parses to ({} when there is none). */
  baseData: Record<string, unknown>;
  /** Each side's data, and the merged data with that side's values where both changed a value differently. */
  sides: {
    current: { data: Record<string, unknown>; values: Record<string, unknown> };
    other: { data: Record<string, unknown>; values: Record<string, unknown> };
  };
  /** Which side's text the merged text is. */
  layout: 'current' | 'other';
  /** Comments both sides changed differently: a conflict, or (a virtual merge base) the base's entry. */
  clash: 'conflict' | 'base';
}

export interface EntryCommentMerge {
  text: string;
  conflicts: EntryConflict[];
}

/** Null when a text cannot be cut into entries with certainty (the merged text then stays as it is). */
export function keepEveryComment(input: EntryCommentInput): EntryCommentMerge | null {
  const mergedEntries = cutEntries(input.merged.text);
  const [base, current, other] = [input.base, input.current, input.other].map((text) =>
    text.trim() === '' ? new Map() : cutEntries(text),
  );
  if (mergedEntries === null || !base || !current || !other) return null;
  const style = wholeStyle(input.merged.text, cutTopLevel(input.merged.text)!);

  /** A side's entry rewritten to `values` (the merged data, or the merged data with that side's clashing values). */
  const render = (entries: Map<string, string>, name: string, before: Record<string, unknown>, after: Record<string, unknown>) => {
    const text = entries.get(name)!;
    if (name === HEADER || name === FOOTER) return text;
    if (!Object.hasOwn(after, name)) return '';
    return rewriteYaml(text, { [name]: before[name] }, { [name]: after[name] }, { style });
  };
  // An entry taken from a side where it ended the file may lack the line break the merged text has there.
  const inPlaceOf = (mergedText: string, entry: string) => (mergedText.endsWith('\n') && !entry.endsWith('\n') ? `${entry}\n` : entry);

  const conflicts: EntryConflict[] = [];
  let text = '';
  let line = 0;
  for (const [name, mergedText] of mergedEntries) {
    const [b, o, t] = [base.get(name), current.get(name), other.get(name)];
    const [cb, co, ct] = [b, o, t].map((entry) => (entry === undefined ? [] : commentsOf(entry)));
    const oursChanged = !isDeepStrictEqual(co, cb);
    const theirsChanged = !isDeepStrictEqual(ct, cb);
    let next = mergedText;
    if (oursChanged && theirsChanged && !isDeepStrictEqual(co, ct)) {
      if (input.clash === 'base') {
        if (b !== undefined) next = inPlaceOf(mergedText, render(base, name, input.baseData, input.merged.data));
      } else {
        const ours = o === undefined ? '' : render(current, name, input.sides.current.data, input.sides.current.values);
        const theirs = t === undefined ? '' : render(other, name, input.sides.other.data, input.sides.other.values);
        const lines = lineCount(next);
        const label = name === HEADER ? 'comments at the top' : name === FOOTER ? 'comments at the end' : `comments of ${name}`;
        conflicts.push({ entry: name, label, start: line, end: line + lines, ours, theirs });
      }
    } else if (oursChanged !== theirsChanged) {
      const source = oursChanged ? 'current' : 'other';
      const entries = oursChanged ? current : other;
      if (source !== input.layout && entries.has(name)) {
        next = inPlaceOf(mergedText, render(entries, name, input.sides[source].data, input.merged.data));
      }
    }
    text += next;
    line += lineCount(next);
  }
  return { text, conflicts };
}

/**
 * `text` cut into named entries, in order, whose texts joined give `text` back: HEADER (the lines
 * before the first key), each top-level key (the comment lines at column 0 right above it, then its
 * own lines, blank lines after them included), FOOTER (column-0 comments after the last entry).
 */
function cutEntries(text: string): Map<string, string> | null {
  const cut = cutTopLevel(text);
  if (cut === null) return null;
  const entries = new Map<string, string>();
  let leading = '';
  entries.set(HEADER, text.slice(0, cut.headerEnd));
  for (const section of cut.sections) {
    const [body, trailing] = splitTrailingComments(text.slice(section.start, section.end));
    entries.set(section.key, leading + body);
    leading = trailing;
  }
  entries.set(FOOTER, leading);
  return entries;
}

const COMMENT_LINE = /^#/;
const BLANK_LINE = /^[ \t]*\r?\n?$/;

/** A section's own lines, and the column-0 comment lines (with the blank lines between them) that end it. */
function splitTrailingComments(section: string): [string, string] {
  const lines = section.split(/(?<=\n)/);
  let start = lines.length;
  while (start > 0 && (COMMENT_LINE.test(lines[start - 1]!) || BLANK_LINE.test(lines[start - 1]!))) start -= 1;
  // Blank lines right after the entry's content separate it from what follows: they stay with it.
  while (start < lines.length && BLANK_LINE.test(lines[start]!)) start += 1;
  if (start === 0) start = 1; // the key's own line
  return [lines.slice(0, start).join(''), lines.slice(start).join('')];
}

/** The comments in an entry's text, in order. */
function commentsOf(text: string): string[] {
  return [...new Lexer().lex(text)].filter((token) => token.startsWith('#')).map((token) => token.trimEnd());
}

function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}
