import { isDeepStrictEqual } from 'node:util';
import { parseStateText, type ParsedState } from './document.js';
import { firstConflictMarker } from './find-conflict-markers.js';
import { defineData } from './plain-data.js';
import { MAY_HAVE_ANCHORS, rewriteYaml, type RewriteOptions, type Style } from './yaml-rewrite.js';

/**
 * Reading and writing a few top-level entries of the state file without parsing the rest.
 *
 * A cold process spends most of a hook's time parsing YAML (the whole real file, before the JIT
 * warms up: figures in docs/design.md), while a hook touches four top-level keys.
 * In a plain block mapping every top-level entry starts on a line of its own at column 0, so the
 * text can be cut there by looking at line starts alone, and each entry read or rewritten on its
 * own. Items of a list written at column 0 under its key (PyYAML's style) belong to that key's
 * entry. Anything that makes that cut unsure (a document marker, a directive, a sequence before
 * the first key, a complex key at column 0, a duplicate key, anchors or aliases that tie entries together, a conflict
 * marker) means "no cut", and the caller reads the whole file instead, which also reports any
 * problem with its real line and column.
 */

export interface TopLevelSection {
  key: string;
  /** Offsets in the text: from the key's line to the next key's line (or the end). */
  start: number;
  end: number;
}

export interface TopLevelCut {
  /** Comments and blank lines before the first key. */
  headerEnd: number;
  sections: TopLevelSection[];
}

const TOP_LEVEL_KEY = /^([A-Za-z_][A-Za-z0-9_.-]*):(?:[ \t]|\r?$)/;
/** `- ` at column 0 (a dash then a blank or the line's end); `---` and `-x` are not items. */
const INDENTLESS_ITEM = /^-(?:[ \t\r\n]|$)/;
const BLANK_OR_COMMENT = /^[ \t]*(#.*)?\r?$/;

/** The top-level entries of `text`, or null when it cannot be cut by line starts with certainty. */
export function cutTopLevel(text: string): TopLevelCut | null {
  if (firstConflictMarker(text) !== null || MAY_HAVE_ANCHORS.test(text)) return null;
  const sections: TopLevelSection[] = [];
  const seen = new Set<string>();
  let headerEnd = -1;
  let offset = 0;
  while (offset < text.length) {
    const lineEnd = text.indexOf('\n', offset);
    const next = lineEnd === -1 ? text.length : lineEnd + 1;
    const first = text[offset];
    const line = () => text.slice(offset, lineEnd === -1 ? text.length : lineEnd);
    if (first === '-' && sections.length > 0 && INDENTLESS_ITEM.test(text.slice(offset, offset + 2))) {
      // An item of a sequence written at the key's own indentation (as PyYAML writes lists): part of the open entry.
    } else if (first === ' ' || first === '\t') {
      // Before the first key only blank and comment lines may come: indented content there belongs to no entry.
      if (sections.length === 0 && !BLANK_OR_COMMENT.test(line())) return null;
    } else if (first !== '#' && first !== '\n' && first !== '\r') {
      const key = TOP_LEVEL_KEY.exec(line())?.[1];
      if (key === undefined || seen.has(key)) return null;
      seen.add(key);
      if (headerEnd === -1) headerEnd = offset;
      const previous = sections.at(-1);
      if (previous) previous.end = offset;
      sections.push({ key, start: offset, end: text.length });
    }
    offset = next;
  }
  if (headerEnd === -1) return null;
  return { headerEnd, sections };
}

/** A partial read: the data of `keys` (those present), plus what is needed to write them back. */
export interface SectionRead {
  parsed: ParsedState;
  cut: TopLevelCut;
}

/**
 * Parses only the entries named in `keys` (and `revision`). Null when the file cannot be cut or
 * the cut text does not parse: the caller then reads the whole file.
 */
export function readSections(text: string, file: string, keys: readonly string[]): SectionRead | null {
  const cut = cutTopLevel(text);
  if (cut === null) return null;
  const wanted = new Set([...keys, 'revision']);
  const picked = cut.sections.filter((s) => wanted.has(s.key));
  if (picked.length === 0) return null;
  try {
    const parsed = parseStateText(picked.map((s) => sectionText(text, s)).join(''), file);
    return { parsed: { ...parsed, text }, cut };
  } catch {
    return null;
  }
}

/**
 * The entries named in `keys` (and `revision`) when the file can be cut, parsed alone; else the whole
 * file, which reports any problem with its real line and column.
 */
export function readEntries(text: string, file: string, keys: readonly string[]): ParsedState {
  return readSections(text, file, keys)?.parsed ?? parseStateText(text, file);
}

/**
 * The entries of the last whole read by entries, by their exact text. Most saves change an entry or
 * two of a large file; a process saving again (or waiting its turn behind other writers) then parses
 * only the entries whose text changed since it last read the file, not the whole of it.
 */
let knownEntries = new Map<string, unknown>();

/**
 * The whole file read entry by entry, each entry's text parsed once per process while it stays the
 * same (the values are frozen: they are shared between reads). The cut comes back so the save can
 * splice its changed entries in (writeSections) without parsing the whole text either. A file that
 * cannot be cut, or whose changed entries do not parse on their own, is parsed whole, which also
 * reports any problem with its real line and column.
 */
export function readWholeBySections(text: string, file: string): { parsed: ParsedState; cut: TopLevelCut | null } {
  const cut = cutTopLevel(text);
  if (cut === null) return { parsed: parseStateText(text, file), cut: null };
  const bodies = cut.sections.map((section) => sectionText(text, section));
  const unknown = bodies.filter((body) => !knownEntries.has(body));
  let parsed: Record<string, unknown> = {};
  if (unknown.length > 0) {
    try {
      // The revision, when among them, is checked here; a known one was checked when first read.
      parsed = parseStateText(unknown.join(''), file).data;
    } catch {
      return { parsed: parseStateText(text, file), cut: null };
    }
  }
  const data: Record<string, unknown> = {};
  const next = new Map<string, unknown>();
  cut.sections.forEach((section, i) => {
    const body = bodies[i]!;
    const value = knownEntries.has(body) ? knownEntries.get(body) : deepFreeze(parsed[section.key]);
    defineData(data, section.key, value);
    next.set(body, value);
  });
  knownEntries = next;
  const revision = typeof data.revision === 'number' ? data.revision : 0;
  return { parsed: { text, data, revision }, cut };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function sectionText(text: string, section: TopLevelSection): string {
  const body = text.slice(section.start, section.end);
  return body.endsWith('\n') ? body : `${body}\n`;
}

/**
 * `text` with the entries of `before` changed to those of `after` (both partial: only the keys
 * read), each entry rewritten on its own and spliced back; every other byte stays. New keys go
 * after the entry that precedes them in `after`. Null when a change cannot be placed that way
 * (the caller then rewrites the whole file).
 */
export function writeSections(
  text: string,
  cut: TopLevelCut,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  requote: RewriteOptions['requote'] = [],
): string | null {
  const byKey = new Map(cut.sections.map((s) => [s.key, s]));
  const style = wholeStyle(text, cut);
  const replacements = new Map<TopLevelSection, string>();
  const afterKeys = Object.keys(after);
  // New keys grouped behind the existing entry they follow.
  const followers = new Map<string, string[]>();
  for (let i = 0; i < afterKeys.length; i += 1) {
    const key = afterKeys[i]!;
    if (byKey.has(key)) {
      if (!Object.hasOwn(before, key)) throw new Error(`${key} was changed but not read: list it in the keys to read`);
      continue;
    }
    const anchor = afterKeys
      .slice(0, i)
      .reverse()
      .find((k) => byKey.has(k));
    if (anchor === undefined) return null;
    followers.set(anchor, [...(followers.get(anchor) ?? []), key]);
  }
  for (const key of Object.keys(before)) {
    const section = byKey.get(key);
    if (!section) return null;
    const added = followers.get(key) ?? [];
    if (!Object.hasOwn(after, key)) {
      if (added.length > 0) return null;
      replacements.set(section, '');
      continue;
    }
    const requoted = requote.filter((path) => path[0] === key);
    if (added.length === 0 && requoted.length === 0 && isDeepStrictEqual(before[key], after[key])) continue;
    const original = text.slice(section.start, section.end);
    const next: Record<string, unknown> = { [key]: after[key] };
    for (const k of added) next[k] = after[k];
    const rewritten = rewriteYaml(original, { [key]: before[key] }, next, { requote: requoted, style });
    if (section.end !== text.length && !rewritten.endsWith('\n')) return null;
    replacements.set(section, rewritten);
  }
  let out = '';
  let at = 0;
  for (const section of cut.sections) {
    const replacement = replacements.get(section);
    if (replacement === undefined) continue;
    out += text.slice(at, section.start) + replacement;
    at = section.end;
  }
  return out + text.slice(at);
}

/**
 * The style rewriteYaml would find in the whole text, found from its lines: the first line's ending,
 * and whether the first top-level entry holding a block list indents it past the key. Reads only each
 * entry's key line and, after a key with no value on its line, the first line of content.
 */
export function wholeStyle(text: string, cut: TopLevelCut): Style {
  const eol = /\r?\n/.exec(text)?.[0] === '\r\n' ? '\r\n' : '\n';
  const lineAt = (start: number, end: number) => {
    const newline = text.indexOf('\n', start);
    return text.slice(start, newline === -1 || newline > end ? end : newline);
  };
  for (const section of cut.sections) {
    const keyLine = lineAt(section.start, section.end);
    if (!/^[^:]*:[ \t]*(#.*)?\r?$/.test(keyLine)) continue;
    let start = section.start + keyLine.length + 1;
    let line = lineAt(start, section.end);
    while (start < section.end && BLANK_OR_COMMENT.test(line)) {
      start += line.length + 1;
      line = lineAt(start, section.end);
    }
    const item = start < section.end ? /^( *)-(?:[ \t\r]|$)/.exec(line) : null;
    if (item) return { indentSeq: item[1]!.length > 0, eol };
  }
  return { indentSeq: true, eol };
}
