import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, sep } from 'node:path';
import { ParacleError } from '../errors.js';
import { readFileAtRevision } from '../git/revision-files.js';
import { resolveCommit } from '../git/resolve-revision.js';
import { findWorktreeTop } from '../git/worktree-files.js';
import { auditLogPath, stateFilePath } from '../state/paths.js';
import { validateWorkspace, type Problem } from '../validate/validate-workspace.js';
import { checkAuditLogAppendOnly, checkAuditLogLines } from './audit-log-check.js';
import { conflictMarkerProblem } from './conflict-markers.js';
import { baseRevision, checkRevisionNotRewound } from './revision-check.js';
import type { VerifyReport } from './verify-report.js';

/**
 * `paracle verify [--base <ref>]`, the edge: read the workspace's files (as they are in the working
 * tree, which in CI is the commit under test) and, with a base, the same files as committed there
 * (through src/git/), then run the pure checks:
 *
 *   1. validate   the state file and every `.parac/` YAML file, as `paracle validate` does
 *   2. markers    no git conflict markers in them, each reported with the way out
 *   3. log        every line of the audit log one JSON entry with the required fields
 *   4. base       (with --base) the state's revision raised if the state changed, and the log
 *                 at the base a prefix of the log now
 *
 * File names in problems are relative to the repository top (what GitHub annotations need), or to
 * the current directory outside a repository.
 */

export interface VerifyOptions {
  /** The `.parac/` directory. */
  root: string;
  /** A commit-ish the branch is compared with (e.g. `origin/main`). */
  base?: string;
}

export async function verifyWorkspace(options: VerifyOptions): Promise<VerifyReport> {
  const root = realpathSync(options.root);
  const top = await findWorktreeTop(root);
  if (options.base !== undefined && top === null) {
    throw new ParacleError('VERIFY_NO_REPOSITORY', `--base ${options.base}: ${root} is not inside a git repository`);
  }
  const show = (file: string) => displayPath(file, top);
  const stateFile = stateFilePath(root);
  const logFile = auditLogPath(root);

  const validation = await validateWorkspace(root);
  const problems: Problem[] = [];
  const marked = new Set<string>();
  for (const file of validation.files) {
    const text = await readTextIfExists(file);
    const problem = text === null ? null : conflictMarkerProblem(show(file), text, file === stateFile ? 'state' : 'yaml');
    if (problem === null) continue;
    problems.push(problem);
    marked.add(file);
  }
  // A file with markers fails to parse at the first one; that is already said, with the way out.
  problems.push(...validation.problems.filter((p) => !marked.has(p.file)).map((p) => ({ ...p, file: show(p.file) })));

  const logText = await readTextIfExists(logFile);
  if (logText !== null) problems.push(...checkAuditLogLines(show(logFile), logText));

  let base: VerifyReport['summary']['base'] = null;
  if (options.base !== undefined && top !== null) {
    const commit = await resolveCommit(top, 'clean', options.base);
    if (commit === null) {
      throw new ParacleError(
        'VERIFY_BASE_UNKNOWN',
        `--base ${options.base}: no such commit in this clone; fetch it first (in GitHub Actions, actions/checkout with fetch-depth: 0)`,
      );
    }
    const [baseState, baseLog] = await Promise.all([
      readFileAtRevision(top, 'clean', commit, repoPath(stateFile, top)),
      readFileAtRevision(top, 'clean', commit, repoPath(logFile, top)),
    ]);
    const stateText = await readTextIfExists(stateFile);
    problems.push(
      ...checkRevisionNotRewound({
        file: show(stateFile),
        baseRef: options.base,
        baseText: baseState,
        currentText: stateText,
        currentRevision: validation.revision,
      }),
    );
    problems.push(...checkAuditLogAppendOnly(show(logFile), options.base, baseLog, logText));
    const stateChanged = baseState !== stateText;
    base = {
      ref: options.base,
      // An unchanged file is not parsed a second time.
      revision: baseState === null ? null : stateChanged ? baseRevision(baseState) : validation.revision,
      stateChanged,
      newLogLines: Math.max(0, countLines(logText) - countLines(baseLog)),
    };
  }

  return {
    ok: problems.length === 0,
    problems,
    summary: { stateFile: show(stateFile), revision: validation.revision, base, logLines: countLines(logText) },
  };
}

function displayPath(file: string, top: string | null): string {
  const from = top ?? process.cwd();
  const rel = relative(from, file);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return file;
  return rel.split(sep).join('/');
}

/** Repository-relative with `/`, as git names files in a tree. */
function repoPath(file: string, top: string): string {
  return relative(top, file).split(sep).join('/');
}

function countLines(text: string | null): number {
  if (text === null || text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
