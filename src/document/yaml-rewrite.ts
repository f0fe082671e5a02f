import { isDeepStrictEqual } from 'node:util';
import { CST, Composer, Document, Parser, isCollection, isMap, isSeq, visit, type ToStringOptions } from 'yaml';
import {
  escapeYaml11Breaks,
  needsEscapedBreaks,
  numberForBothReaders,
  plainReadsAsStringInBoth,
  plainResolvesAsNonString,
} from './both-readers.js';
import { takeTokens } from './cst-cache.js';
import { isRecord } from './plain-data.js';

/**
 * Patches YAML text so that it represents new data while every byte that did not need to change
 * stays as it was: comments, blank lines, quoting, block and folded scalars, key order.
 *
 * It works on the `yaml` package's CST: scalars are rewritten in place with `CST.setScalarValue`,
 * and new or replaced nodes are rendered with `yaml`'s own stringifier into a small snippet whose
 * tokens are grafted into the tree. Nothing is re-flowed: the Document layer's `toString()` would
 * rewrite hundreds of lines of a real state file (it re-folds `>` scalars), so it is never used on
 * the user's text.
 *
 * Every scalar it writes reads the same to `yaml` and to PyYAML (both-readers.ts), and every line it
 * writes ends as the file's lines do (LF or CRLF; a byte-order mark stays where it is).
 */
export function rewriteYaml(text: string, before: unknown, after: unknown, options: RewriteOptions = {}): string {
  const tokens = takeTokens(text);
  const document = tokens.find((t): t is CST.Document => t.type === 'document');
  if (!document) throw new RewriteError('the text holds no YAML document');
  const root = document.value;
  const context: EditContext = { style: options.style ?? detectStyle(document, text), changedRootKeys: null };
  if (root?.type === 'block-map' && isRecord(before) && isRecord(after) && Object.keys(after).length > 0) {
    context.changedRootKeys = new Set();
    if (patchBlockMap(root, before, after, context)) {
      requoteAssigned(root, after, options.requote, context.changedRootKeys);
      if (context.changedRootKeys.size === 0) return text;
      const result = tokens.map((t) => CST.stringify(t)).join('');
      if (MAY_HAVE_ANCHORS.test(text)) assertRepresents(result, after);
      else assertEntriesRepresent(root, context.changedRootKeys, after, result);
      return result;
    }
    context.changedRootKeys = null;
  }
  if (isDeepStrictEqual(before, after) && !options.requote?.length) return text;
  if (!isDeepStrictEqual(before, after)) patchValue({ kind: 'root', document }, before, after, context);
  if (document.value) requoteAssigned(document.value, after, options.requote, null);
  const result = tokens.map((t) => CST.stringify(t)).join('');
  assertRepresents(result, after);
  return result;
}

export interface RewriteOptions {
  /**
   * Paths the writer assigned, even to the value they already had (e.g. today's `snapshot_date`):
   * a plain string scalar there that PyYAML would read as something else (a date, a bool) is
   * quoted, so that what the save wrote means the same to both readers.
   */
  requote?: ReadonlyArray<ReadonlyArray<string | number>>;
  /** The whole file's style, when `text` is one entry cut from it (its own first lines may not show it). */
  style?: Style;
}

/** The editor could not express a change without reformatting; the caller must not write. */
export class RewriteError extends Error {
  constructor(
    message: string,
    /** The text as edited, kept for diagnosis; never written anywhere. */
    readonly edited?: string,
  ) {
    super(message);
  }
}

type Item = CST.CollectionItem;

type Slot =
  | { kind: 'root'; document: CST.Document }
  | { kind: 'map'; item: Item; indent: number }
  | { kind: 'seq'; item: Item; indent: number };

export interface Style {
  /** Lists are indented past their key (false: written at the key's column, as PyYAML does). */
  indentSeq: boolean;
  /** The file's line ending (that of its first line), for every line written. */
  eol: '\n' | '\r\n';
}

interface EditContext {
  style: Style;
  /** Top-level keys whose data changed, collected for the read-back check; null below the top. */
  changedRootKeys: Set<string> | null;
}

type Scalar = string | number | boolean | null;

function isScalarValue(value: unknown): value is Scalar {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function slotValue(slot: Slot): CST.Token | undefined {
  return slot.kind === 'root' ? slot.document.value : slot.item.value;
}

/** Edits the node in `slot` from `before` to `after`; callers only call it when the two differ. */
function patchValue(slot: Slot, before: unknown, after: unknown, context: EditContext): void {
  const token = slotValue(slot);
  const nested = { ...context, changedRootKeys: null };
  if (token?.type === 'block-map' && isRecord(before) && isRecord(after) && Object.keys(after).length > 0) {
    if (patchBlockMap(token, before, after, nested)) return;
  } else if (token?.type === 'block-seq' && Array.isArray(before) && Array.isArray(after) && after.length > 0) {
    if (patchBlockSeq(token, before, after, nested)) return;
  } else if (token && CST.isScalar(token) && isScalarValue(before) && isScalarValue(after)) {
    setScalar(token, after, context.style);
    return;
  }
  const preferFlow = token?.type === 'flow-collection' && token.items.length > 0;
  replaceValue(slot, after, context.style, preferFlow);
}

// ---------------------------------------------------------------------------------------------
// Scalars

function setScalar(token: CST.FlowScalar | CST.BlockScalar, value: Scalar, style: Style): void {
  // Map values and sequence items both continue on lines indented past their key or dash.
  const context = { afterKey: true };
  if (typeof value !== 'string') {
    const text = value === null ? 'null' : typeof value === 'number' ? numberForBothReaders(value) : String(value);
    CST.setScalarValue(token, text, { ...context, type: 'PLAIN' });
    return;
  }
  CST.setScalarValue(token, value, context);
  // setScalarValue applies no schema: a plain "12" or "yes" would read back as a number or boolean.
  const misread = token.type === 'scalar' ? !plainReadsAsStringInBoth(token.source, value) : token.type !== 'double-quoted-scalar';
  if (misread && (token.type === 'scalar' || needsEscapedBreaks(value))) {
    CST.setScalarValue(token, value, { ...context, type: 'QUOTE_DOUBLE' });
  }
  if (token.type === 'double-quoted-scalar') token.source = escapeYaml11Breaks(token.source);
  useLineEnding(token, style.eol);
}

/** The scalar at `path` below `token` in the CST (block collections only), or undefined. */
function scalarAt(token: CST.Token | undefined, path: ReadonlyArray<string | number>): CST.FlowScalar | undefined {
  let node = token;
  for (const step of path) {
    if (node?.type === 'block-map' && typeof step === 'string') {
      node = (node.items as Item[]).find((item) => item.sep !== undefined && keyOf(item) === step)?.value;
    } else if (node?.type === 'block-seq' && typeof step === 'number') {
      node = node.items.filter(isSeqEntry)[step]?.value;
    } else return undefined;
  }
  return node?.type === 'scalar' ? node : undefined;
}

function dataAt(data: unknown, path: ReadonlyArray<string | number>): unknown {
  let node = data;
  for (const step of path) {
    if (Array.isArray(node) && typeof step === 'number') node = node[step];
    else if (isRecord(node) && typeof step === 'string' && Object.hasOwn(node, step)) node = node[step];
    else return undefined;
  }
  return node;
}

/** Quotes the plain strings at the assigned paths that PyYAML would take for something else. */
function requoteAssigned(root: CST.Token, after: unknown, paths: RewriteOptions['requote'], changedRootKeys: Set<string> | null): void {
  for (const path of paths ?? []) {
    const value = dataAt(after, path);
    const token = scalarAt(root, path);
    if (typeof value !== 'string' || !token || plainReadsAsStringInBoth(token.source, value)) continue;
    CST.setScalarValue(token, value, { afterKey: true, type: 'QUOTE_DOUBLE' });
    if (typeof path[0] === 'string') changedRootKeys?.add(path[0]);
  }
}

// ---------------------------------------------------------------------------------------------
// Block mappings

function keyOf(item: Item): string | undefined {
  if (!item.key || item.sep === undefined) return undefined;
  return CST.resolveAsScalar(item.key)?.value;
}

/** Returns false when the mapping holds keys this editor cannot address (complex keys). */
function patchBlockMap(
  token: CST.BlockMap,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  context: EditContext,
): boolean {
  const byKey = new Map<string, Item>();
  for (const item of token.items as Item[]) {
    if (item.sep === undefined) continue;
    const key = keyOf(item);
    if (key === undefined || byKey.has(key) || !Object.hasOwn(before, key)) return false;
    byKey.set(key, item);
  }
  if (byKey.size !== Object.keys(before).length) return false;

  const changed = context.changedRootKeys;
  const firstHadSpace = startsWithSpace(token.items[0]);
  let structural = false;
  for (const [key, item] of byKey) {
    if (Object.hasOwn(after, key)) continue;
    const items = token.items as Item[];
    items.splice(items.indexOf(item), 1);
    changed?.add(key);
    structural = true;
  }
  const afterKeys = Object.keys(after);
  afterKeys.forEach((key, position) => {
    const item = byKey.get(key);
    if (item) {
      if (isDeepStrictEqual(before[key], after[key])) return;
      changed?.add(key);
      patchValue({ kind: 'map', item, indent: token.indent }, before[key], after[key], context);
      return;
    }
    const fresh = renderMapItem(key, after[key], token.indent, context.style);
    // A new key goes right after the key that precedes it in the new data, so that a writer's
    // ordering (e.g. `revision` after `snapshot_date`) survives; with no such key, first.
    let at = 0;
    for (let p = position - 1; p >= 0; p -= 1) {
      const anchor = byKey.get(afterKeys[p]!);
      if (anchor) {
        at = (token.items as Item[]).indexOf(anchor) + 1;
        break;
      }
    }
    insertItem(token, at, fresh, context.style.eol);
    byKey.set(key, fresh);
    changed?.add(key);
    structural = true;
  });
  if (structural) normaliseIndentation(token, firstHadSpace, context.style.eol);
  return true;
}

// ---------------------------------------------------------------------------------------------
// Block sequences

function isSeqEntry(item: Item): boolean {
  return item.start.some((t) => t.type === 'seq-item-ind');
}

function patchBlockSeq(token: CST.BlockSequence, before: unknown[], after: unknown[], context: EditContext): boolean {
  const entries = token.items.filter(isSeqEntry);
  if (entries.length !== before.length) return false;
  const firstHadSpace = startsWithSpace(token.items[0]);
  const leading: Item[] = [];
  const trailing: Item[] = [];
  for (const item of token.items) {
    if (isSeqEntry(item)) continue;
    (token.items.indexOf(item) < token.items.indexOf(entries[0]!) ? leading : trailing).push(item);
  }

  const result: Item[] = [];
  // Items appended after the last existing one go below trailing comment lines (often commented-out items).
  const appended: Item[] = [];
  for (const step of alignSequences(before, after)) {
    if (step.op !== 'insert' && appended.length > 0) result.push(...appended.splice(0));
    if (step.op === 'keep') result.push(entries[step.from]!);
    else if (step.op === 'change') {
      const item = entries[step.from]!;
      patchValue({ kind: 'seq', item, indent: token.indent }, before[step.from], after[step.to], context);
      result.push(item);
    } else if (step.op === 'insert') {
      const item = renderSeqItem(after[step.to], token.indent, context.style);
      (result.length === 0 ? result : appended).push(item);
    }
  }
  const items = [...leading, ...result, ...trailing, ...appended];
  const structural = items.length !== token.items.length || items.some((item, i) => item !== token.items[i]);
  (token as { items: Item[] }).items = items;
  if (structural) normaliseIndentation(token, firstHadSpace, context.style.eol);
  return true;
}

type AlignStep =
  | { op: 'keep'; from: number; to: number }
  | { op: 'change'; from: number; to: number }
  | { op: 'insert'; to: number }
  | { op: 'delete'; from: number };

/**
 * Longest common subsequence of equal items; between two kept items, removed and added items are
 * paired up as in-place changes (so an edited list entry keeps its comments), the rest are
 * deletions or insertions.
 */
export function alignSequences(before: unknown[], after: unknown[]): AlignStep[] {
  // Lists mostly grow at one end: keep the common head and tail out of the quadratic part.
  let head = 0;
  while (head < before.length && head < after.length && isDeepStrictEqual(before[head], after[head])) head += 1;
  let tail = 0;
  while (
    tail < before.length - head &&
    tail < after.length - head &&
    isDeepStrictEqual(before[before.length - 1 - tail], after[after.length - 1 - tail])
  ) {
    tail += 1;
  }
  const middle = alignMiddle(before.slice(head, before.length - tail), after.slice(head, after.length - tail)).map(
    (step): AlignStep =>
      step.op === 'insert'
        ? { op: 'insert', to: step.to + head }
        : step.op === 'delete'
          ? { op: 'delete', from: step.from + head }
          : { ...step, from: step.from + head, to: step.to + head },
  );
  const keep = (from: number, to: number): AlignStep => ({ op: 'keep', from, to });
  return [
    ...Array.from({ length: head }, (_, i) => keep(i, i)),
    ...middle,
    ...Array.from({ length: tail }, (_, i) => keep(before.length - tail + i, after.length - tail + i)),
  ];
}

function alignMiddle(before: unknown[], after: unknown[]): AlignStep[] {
  const n = before.length;
  const m = after.length;
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i -= 1) {
    for (let j = m - 1; j >= 0; j -= 1) {
      lcs[i]![j] = isDeepStrictEqual(before[i], after[j]) ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const steps: AlignStep[] = [];
  let removed: number[] = [];
  let added: number[] = [];
  const flush = () => {
    const paired = Math.min(removed.length, added.length);
    for (let k = 0; k < paired; k += 1) steps.push({ op: 'change', from: removed[k]!, to: added[k]! });
    for (const from of removed.slice(paired)) steps.push({ op: 'delete', from });
    for (const to of added.slice(paired)) steps.push({ op: 'insert', to });
    removed = [];
    added = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && isDeepStrictEqual(before[i], after[j])) {
      flush();
      steps.push({ op: 'keep', from: i, to: j });
      i += 1;
      j += 1;
    } else if (j < m && (i === n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      added.push(j);
      j += 1;
    } else {
      removed.push(i);
      i += 1;
    }
  }
  flush();
  return steps;
}

// ---------------------------------------------------------------------------------------------
// Items: insertion, indentation, line ends

function startsWithSpace(item: Item | undefined): boolean {
  return item?.start[0]?.type === 'space';
}

function spaceToken(width: number): CST.SourceToken {
  return { type: 'space', offset: 0, indent: 0, source: ' '.repeat(width) };
}

function insertItem(token: CST.BlockMap | CST.BlockSequence, at: number, item: Item, eol: Style['eol']): void {
  if (at > 0) ensureEndsWithNewline(token.items[at - 1]!, eol);
  (token.items as Item[]).splice(at, 0, item);
}

/**
 * Puts indentation back the way the parser lays it out after items were removed or inserted.
 * The first line of a nested collection is indented by the parent's `key:` separator, so its
 * first item carries no indentation of its own; every later item, and any item line that follows
 * a blank or comment line inside `start`, carries it. Blank and comment lines are left as they are.
 */
function normaliseIndentation(token: CST.BlockMap | CST.BlockSequence, firstHadSpace: boolean, eol: Style['eol']): void {
  const items = token.items as Item[];
  items.forEach((item, index) => {
    // A comment-only entry has no content line to indent.
    if (item.sep === undefined && item.value === undefined && !isSeqEntry(item)) return;
    const first = index === 0 && !firstHadSpace;
    // Leading blank lines would follow the separator's indentation and leave a whitespace-only line.
    if (first) while (item.start[0]?.type === 'newline') item.start.shift();
    const lastNewline = item.start.map((t) => t.type).lastIndexOf('newline');
    const at = lastNewline + 1;
    const hasSpace = item.start[at]?.type === 'space';
    const wantSpace = lastNewline === -1 ? !first && token.indent > 0 : token.indent > 0;
    if (hasSpace && !wantSpace) item.start.splice(at, 1);
    else if (!hasSpace && wantSpace) item.start.splice(at, 0, spaceToken(token.indent));
  });
  for (let index = 0; index < items.length - 1; index += 1) ensureEndsWithNewline(items[index]!, eol);
}

function newlineToken(eol: Style['eol']): CST.SourceToken {
  return { type: 'newline', offset: 0, indent: 0, source: eol };
}

/** Gives the line breaks of a rewritten scalar (a block scalar's lines, a folded quoted one) the file's ending. */
function useLineEnding(token: CST.FlowScalar | CST.BlockScalar, eol: Style['eol']): void {
  if (eol === '\n') return;
  const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');
  token.source = crlf(token.source);
  if (token.type === 'block-scalar') {
    for (const prop of token.props) if ('source' in prop) prop.source = crlf(prop.source);
  } else {
    for (const end of token.end ?? []) end.source = crlf(end.source);
  }
}

/** Makes sure the next item starts on a line of its own (only the last line of a file may lack its end). */
function ensureEndsWithNewline(item: Item, eol: Style['eol']): void {
  // A key with no value (`key:`) ends its line in its separator, not after the key.
  const last = item.value ?? (item.sep ? undefined : item.key);
  if (last && (last.type === 'block-map' || last.type === 'block-seq')) {
    const inner = last.items[last.items.length - 1] as Item | undefined;
    if (inner) ensureEndsWithNewline(inner, eol);
    return;
  }
  if (last?.type === 'block-scalar') {
    if (!last.source.endsWith('\n')) last.source += eol;
    return;
  }
  if (last && 'end' in last && Array.isArray(last.end)) {
    if (last.end.at(-1)?.type !== 'newline') last.end.push(newlineToken(eol));
    return;
  }
  if (
    last &&
    (last.type === 'scalar' || last.type === 'single-quoted-scalar' || last.type === 'double-quoted-scalar' || last.type === 'alias')
  ) {
    last.end = [newlineToken(eol)];
    return;
  }
  const tokens = item.sep ?? item.start;
  if (tokens.at(-1)?.type !== 'newline') tokens.push(newlineToken(eol));
}

function itemText(item: Item): string {
  return CST.stringify(item as Parameters<typeof CST.stringify>[0]);
}

// ---------------------------------------------------------------------------------------------
// New nodes: rendered by `yaml` itself, then grafted

const renderOptions: ToStringOptions = {
  indent: 2,
  lineWidth: 0,
  minContentWidth: 0,
};

const NUMBER_TAGS = new Set(['tag:yaml.org,2002:int', 'tag:yaml.org,2002:float']);

const MERGE_TAG = 'tag:yaml.org,2002:merge';

/**
 * The schema's tags with numbers written as both readers read them (`1.0e+21`, `.nan`), and without
 * the merge key, which would write the string `<<` bare whatever its quoting.
 */
function bothReadersTags<T extends { tag: string; format?: string }>(tags: T[]): T[] {
  return tags
    .filter((tag) => tag.tag !== MERGE_TAG)
    .map((tag) =>
      NUMBER_TAGS.has(tag.tag) && !tag.format
        ? { ...tag, stringify: ({ value }: { value: unknown }) => numberForBothReaders(Number(value)) }
        : tag,
    );
}

/**
 * New values and keys are rendered by `yaml` itself, then every string (key or value) that either
 * reader would take for another type in plain form is double-quoted: YAML 1.1 rendering alone
 * misses `0o755` (a YAML 1.2 int), `=` and `<<` (PyYAML's value and merge keys).
 */
function renderSnippet(value: unknown, indent: number, style: Style, flow = false): CST.Token {
  const doc = new Document(value, { version: '1.1', customTags: bothReadersTags as never });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string') return;
      if (needsEscapedBreaks(node.value) || (!node.value.includes('\n') && plainResolvesAsNonString(node.value)))
        node.type = 'QUOTE_DOUBLE';
    },
  });
  if (flow) {
    const { contents } = doc;
    const first: unknown = isMap(contents) ? contents.items[0]?.value : isSeq(contents) ? contents.items[0] : undefined;
    if (isCollection(first)) first.flow = true;
  }
  const pad = ' '.repeat(indent);
  // The only NEL, LS or PS in the text are inside the double-quoted scalars chosen above.
  const text = escapeYaml11Breaks(doc.toString({ ...renderOptions, indentSeq: style.indentSeq }))
    .split('\n')
    .map((line) => (line === '' ? line : pad + line))
    .join(style.eol);
  const document = Array.from(new Parser().parse(text)).find((t): t is CST.Document => t.type === 'document');
  if (!document?.value) throw new RewriteError('could not render a new value');
  // The first line's indentation was parsed into the document's start; items carry their own.
  return document.value;
}

function firstItem(token: CST.Token): Item {
  if (token.type !== 'block-map' && token.type !== 'block-seq') throw new RewriteError(`unexpected ${token.type}`);
  const item = token.items[0] as Item | undefined;
  if (!item) throw new RewriteError('rendered an empty collection');
  while (item.start[0]?.type === 'space') item.start.shift();
  return item;
}

function renderMapItem(key: string, value: unknown, indent: number, style: Style, flow = false): Item {
  return firstItem(renderSnippet({ [key]: value }, indent, style, flow));
}

function renderSeqItem(value: unknown, indent: number, style: Style, flow = false): Item {
  return firstItem(renderSnippet([value], indent, style, flow));
}

function replaceValue(slot: Slot, after: unknown, style: Style, preferFlow: boolean): void {
  if (slot.kind === 'root') {
    const rendered = renderSnippet(after, 0, style);
    slot.document.value = rendered;
    return;
  }
  const flow = preferFlow && (isRecord(after) || Array.isArray(after));
  if (slot.kind === 'map') {
    const fresh = renderMapItem('k', after, slot.indent, style, flow);
    slot.item.sep = fresh.sep;
    slot.item.value = fresh.value;
    return;
  }
  const fresh = renderSeqItem(after, slot.indent, style, flow);
  // Keep the old entry's leading comments and indentation; take the dash and spacing from the new one.
  const dash = slot.item.start.findIndex((t) => t.type === 'seq-item-ind');
  const freshDash = fresh.start.findIndex((t) => t.type === 'seq-item-ind');
  slot.item.start = [...slot.item.start.slice(0, dash), ...fresh.start.slice(freshDash)];
  slot.item.value = fresh.value;
}

function detectStyle(document: CST.Document, text: string): Style {
  const eol = /\r?\n/.exec(text)?.[0] === '\r\n' ? '\r\n' : '\n';
  const root = document.value;
  if (root?.type === 'block-map') {
    for (const item of root.items) {
      if (item.value?.type === 'block-seq') return { indentSeq: item.value.indent > root.indent, eol };
    }
  }
  return { indentSeq: true, eol };
}

/**
 * Anchors and aliases tie sections together; where the text may hold any, the whole file is
 * re-read to check an edit. The pattern errs towards "may" (a `*` in prose also matches).
 */
export const MAY_HAVE_ANCHORS = /(?:^|[\s,[{])[&*][^\s,\]}]/;

/**
 * The check of `assertRepresents`, at the cost of the entries that changed only: in a top-level
 * block mapping without anchors each top-level entry reads the same alone as in the file. Entries
 * whose data did not change were not edited; every other entry is read alone and compared with
 * its new data, and the keys must be exactly the new data's keys.
 */
function assertEntriesRepresent(root: CST.BlockMap, changed: Set<string>, after: Record<string, unknown>, result: string): void {
  const items = root.items as Item[];
  const keys = items.map((item) => (item.sep === undefined && item.value === undefined ? null : keyOf(item)));
  const present = keys.filter((key): key is string => key !== null && key !== undefined);
  if (
    keys.includes(undefined) ||
    new Set(present).size !== present.length ||
    present.length !== Object.keys(after).length ||
    !present.every((key) => Object.hasOwn(after, key))
  ) {
    throw new RewriteError('the edited YAML does not have the intended keys', result);
  }
  items.forEach((item, index) => {
    const key = keys[index];
    if (key === null || key === undefined || !changed.has(key)) return;
    const text = itemText(item);
    if (index < items.length - 1 && !text.endsWith('\n')) throw new RewriteError(`the entry ${key} does not end its line`, result);
    const docs = Array.from(new Composer({ logLevel: 'error' }).compose(new Parser().parse(text)));
    const doc = docs[0];
    if (docs.length !== 1 || !doc || doc.errors.length > 0 || !isDeepStrictEqual(doc.toJS({ maxAliasCount: 100 }), { [key]: after[key] })) {
      throw new RewriteError(`the edited entry ${key} does not read back as the intended data`, result);
    }
  });
}

/** The last line of defence: text that does not read back as `after` is never handed out. */
function assertRepresents(text: string, after: unknown): void {
  const docs = Array.from(new Composer({ logLevel: 'error' }).compose(new Parser().parse(text)));
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0) {
    throw new RewriteError(`the edited YAML does not parse: ${doc?.errors[0]?.message ?? 'no document'}`, text);
  }
  if (!isDeepStrictEqual(doc.toJS({ maxAliasCount: 100 }), after)) {
    throw new RewriteError('the edited YAML does not read back as the intended data', text);
  }
}
