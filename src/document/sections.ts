import { isDeepStrictEqual } from 'node:util';
import { parseStateText, type ParsedState } from './document.js';
import { firstConflictMarker } from './find-conflict-markers.js';
import { MAY_HAVE_ANCHORS, rewriteYaml, type RewriteOptions } from './yaml-rewrite.js';

/**
 * Reading and writing a few top-level entries of the state file without parsing the rest.
 *
 * A cold process spends most of a hook's time parsing YAML (the whole real file, before the JIT
 * warms up: figures in BENCHMARKS.md), while a hook touches four top-level keys.
 * In a plain block mapping every top-level entry starts on a line of its own at column 0, so the
 * text can be cut there by looking at line starts alone, and each entry read or rewritten on its
 * own. Anything that makes that cut unsure (a document marker, a directive, a sequence or complex
 * key at column 0, a duplicate key, anchors or aliases that tie entries together, a conflict
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
    if (first !== ' ' && first !== '\t' && first !== '#' && first !== '\n' && first !== '\r') {
      const key = TOP_LEVEL_KEY.exec(text.slice(offset, lineEnd === -1 ? text.length : lineEnd))?.[1];
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
    const rewritten = rewriteYaml(original, { [key]: before[key] }, next, { requote: requoted });
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
