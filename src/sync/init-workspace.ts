import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Document, isScalar, visit } from 'yaml';
import { ParacleError } from '../errors.js';
import { paracIgnoreBlock, upsertIgnoreRules } from '../hooks-install/ignore-rules.js';
import { appendStateChanges } from '../log/audit-log.js';
import { textHash } from '../log/trail.js';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { withStateLock } from '../lock/lock.js';
import { localDate } from '../state/model.js';
import { stateFilePath } from '../state/paths.js';
import { timeoutMs } from '../store/store.js';

/**
 * A starting workspace: `.parac/memory/context/current_state.yaml` at revision 0, shaped like the
 * paracle templates (project, current phase, empty lists for what sessions and hooks fill in), and
 * an `init` audit entry for revision 0 so the log accounts for every revision from the first, and
 * `.parac/.gitignore` rules for the files that stay local (the audit log, the lock, temp files).
 * An existing state file is never overwritten; the check and the write happen under the lock.
 */

const HEADER = `# Project state, kept by paracle. Edit it freely: writes go through a lock, an atomic
# replace and a revision counter (see \`paracle --help\`); \`paracle validate\` checks it.
`;

export function startingState(project: { name: string; version: string }, date: string): Record<string, unknown> {
  return {
    version: '1.0',
    snapshot_date: date,
    revision: 0,
    project: { name: project.name, version: project.version, phase: 'phase_0', status: 'in_progress' },
    current_phase: {
      id: 'phase_0',
      name: 'Setup',
      status: 'in_progress',
      progress: '0%',
      focus_areas: [],
      completed: [],
      in_progress: [],
      pending: [],
    },
    blockers: [],
    next_actions: [],
    metrics: {},
  };
}

export function renderStartingState(data: Record<string, unknown>): string {
  const doc = new Document(data);
  // YAML 1.1 readers (PyYAML, the Python paracle tools) would turn a plain 2026-01-10 into a date.
  visit(doc, {
    Scalar(_key, node) {
      if (isScalar(node) && typeof node.value === 'string' && /^\d{4}-\d{2}-\d{2}/.test(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  return HEADER + doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

export async function initWorkspace(
  root: string,
  options: { name?: string; timeout?: number },
): Promise<{ file: string; project: string; revision: 0 }> {
  const file = stateFilePath(root);
  if (existsSync(file)) throw alreadyThere(file);
  const project = await projectIdentity(dirname(root), options.name);
  const data = startingState(project, localDate());
  const text = renderStartingState(data);
  await mkdir(dirname(file), { recursive: true });
  await withStateLock(file, { timeoutMs: timeoutMs(options.timeout) }, async (lock) => {
    // Checked again under the lock: two inits racing must not both write.
    if (existsSync(file)) throw alreadyThere(file);
    await writeFileAtomic(file, text, { beforeRename: () => lock.assertHeld() });
    // The init entry is the trail's first snapshot (issue 14): every later revision is a patch on it.
    await appendStateChanges(root, [
      { change_type: 'init', description: `Created the state file for ${project.name}`, revision: 0, sha: textHash(text), data },
    ]);
  });
  await writeParacIgnoreRules(root);
  return { file, project: project.name, revision: 0 };
}

/**
 * `.parac/.gitignore` gets the same rules `paracle install` adds to the repository's: a workspace
 * committed before the hooks are installed (`git add -A` right after init) must not commit the
 * audit log, a local record, or a lock left by a running writer.
 */
async function writeParacIgnoreRules(root: string): Promise<void> {
  const file = join(root, '.gitignore');
  const existing = existsSync(file) ? await readFile(file, 'utf8') : null;
  const next = upsertIgnoreRules(existing, paracIgnoreBlock());
  if (next !== existing) await writeFile(file, next);
}

function alreadyThere(file: string): ParacleError {
  return new ParacleError('STATE_EXISTS', `${file} already exists; not overwriting it (\`paracle status\` shows what it holds)`);
}

/** package.json's name and version when there is one, else the folder's name. */
async function projectIdentity(projectDir: string, name: string | undefined): Promise<{ name: string; version: string }> {
  let pkg: { name?: unknown; version?: unknown } = {};
  try {
    pkg = JSON.parse(await readFile(join(projectDir, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    // No package.json (or not JSON): not every project is a Node project.
  }
  return {
    name: name ?? (typeof pkg.name === 'string' && pkg.name !== '' ? pkg.name : basename(projectDir)),
    version: typeof pkg.version === 'string' ? pkg.version : '0.1.0',
  };
}
