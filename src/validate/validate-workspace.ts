import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { StateParseError } from '../errors.js';
import { parseStateText } from '../document/document.js';
import { stateFilePath } from '../state/paths.js';
import { checkStateFields, type ValuePath } from './state-checks.js';
import { firstConflictMarker } from '../document/find-conflict-markers.js';

/**
 * `paracle validate`: the state file must parse as a state (no conflict markers, valid YAML, a
 * mapping, a non-negative integer revision) and its known fields must have the right types; every
 * other YAML file under `.parac/` must be conflict-free, valid YAML. Every problem names its file
 * and, where it has one, line and column.
 */

export interface Problem {
  file: string;
  line?: number;
  column?: number;
  message: string;
}

export interface ValidationReport {
  ok: boolean;
  revision: number | null;
  files: string[];
  problems: Problem[];
}

export async function validateWorkspace(root: string, show: (file: string) => string = (f) => f): Promise<ValidationReport> {
  const stateFile = stateFilePath(root);
  const problems: Problem[] = [];
  const files = [stateFile, ...(await yamlFilesUnder(root)).filter((f) => f !== stateFile)];
  let revision: number | null = null;

  let stateText: string | null = null;
  try {
    stateText = await readFile(stateFile, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    problems.push({
      file: show(stateFile),
      message: missing ? 'no state file; run `paracle init` to create one' : `cannot read: ${(error as Error).message}`,
    });
  }
  if (stateText !== null) {
    try {
      const parsed = parseStateText(stateText, show(stateFile));
      revision = parsed.revision;
      const locate = locator(stateText);
      for (const problem of checkStateFields(parsed.data)) {
        problems.push({ file: show(stateFile), ...locate(problem.path), message: problem.message });
      }
    } catch (error) {
      if (!(error instanceof StateParseError)) throw error;
      problems.push(positioned(show(stateFile), error));
    }
  }

  for (const file of files.slice(1)) {
    const text = await readFile(file, 'utf8');
    problems.push(...checkYamlText(text, show(file)));
  }
  return { ok: problems.length === 0, revision, files: files.map(show), problems };
}

/** Conflict markers and YAML errors of any YAML file, with positions. */
export function checkYamlText(text: string, file: string): Problem[] {
  const marker = firstConflictMarker(text);
  if (marker !== null) {
    return [
      {
        file,
        line: marker.line,
        column: 1,
        message: `git conflict marker "${marker.marker}": finish the merge, then \`git add\` the file`,
      },
    ];
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: true, prettyErrors: false });
  return doc.errors.map((error) => {
    const { line, col } = counter.linePos(error.pos[0]);
    return { file, line, column: col, message: error.message.split('\n')[0]!.trim() };
  });
}

function positioned(file: string, error: StateParseError): Problem {
  return {
    file,
    ...(error.line !== undefined ? { line: error.line } : {}),
    ...(error.column !== undefined ? { column: error.column } : {}),
    message: error.reason,
  };
}

/** Line and column of the value at a path (its key's line for a mapping entry). */
function locator(text: string): (path: ValuePath) => { line?: number; column?: number } {
  const counter = new LineCounter();
  let doc: Document | undefined;
  return (path) => {
    doc ??= parseDocument(text, { lineCounter: counter, keepSourceTokens: false });
    const node = doc.getIn(path, true);
    const range = isNode(node) ? node.range : undefined;
    if (!range) return {};
    const { line, col } = counter.linePos(range[0]);
    return { line, column: col };
  };
}

/** `.yaml` / `.yml` files under `root`, sorted; lock folders and hidden folders are skipped. */
async function yamlFilesUnder(root: string): Promise<string[]> {
  const found: string[] = [];
  async function visit(dir: string): Promise<void> {
    let entries: import('node:fs').Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!entry.name.startsWith('.') && !entry.name.endsWith('.paracle-lock')) await visit(path);
      } else if (entry.isFile() && /\.ya?ml$/i.test(entry.name)) found.push(path);
    }
  }
  await visit(root);
  return found.sort((a, b) => relative(root, a).localeCompare(relative(root, b)));
}
