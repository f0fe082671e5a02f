import { dirname, join, relative } from 'node:path';
import { formatCommitSummary, readCommitSummary } from '../git/head-commit.js';
import { readWorkingTreeStatus } from '../git/status.js';
import { findWorktreeTop, listWorktreeFiles } from '../git/worktree-files.js';
import { countFiles } from '../metrics/file-metrics.js';
import { readMetricsConfig } from '../metrics/metrics-config.js';
import { walkProjectFiles } from '../metrics/walk-files.js';
import { StateMissingError } from '../errors.js';
import { readRevisionHighWater } from '../log/revision-high-water.js';
import { auditLogPath } from '../state/paths.js';
import { localDate } from '../state/model.js';
import { applyEditsToState, skippedEditWarning, type StateChange, type StateEdit } from '../state/state-edits.js';
import { loadState, saveStateReport } from '../store/store.js';
import { snapshotEdits } from '../tasks/snapshot.js';
import { hasUncommittedChanges } from '../tasks/uncommitted-changes.js';
import { readRoadmap } from '../tasks/roadmap-alignment.js';
import { checkRoadmapAlignment, type RoadmapFinding } from './roadmap-check.js';

/**
 * `paracle sync`: bring the state in line with the repository. The slow part (asking git, listing
 * thousands of files) runs first and outside the lock; then the state is loaded, the plan applied
 * and saved with `onConflict: 'reconcile'`, so a hook or session end that saved meanwhile is merged
 * with, never overwritten or failed on.
 */

export interface SyncOptions {
  git: boolean;
  metrics: boolean;
  roadmap: boolean;
  autoFix?: boolean;
  dryRun?: boolean;
}

export type SyncChange = StateChange;

export interface SyncError {
  source: 'git' | 'metrics' | 'roadmap';
  message: string;
}

export interface SyncReport {
  success: boolean;
  changes: SyncChange[];
  errors: SyncError[];
  warnings: string[];
  /** The revision written (or that would be, with --dry-run); the loaded one when nothing changed. */
  revision: number;
  previous_revision: number;
  /** The save found the file changed since it was loaded and merged with it (a `reconcile` audit entry). */
  reconciled: boolean;
  dry_run: boolean;
  diff?: string;
}

interface Facts {
  edits: StateEdit[];
  errors: SyncError[];
}

export async function runSync(
  target: { root: string; stateFile: string; timeout: number | undefined },
  options: SyncOptions,
): Promise<SyncReport> {
  const projectDir = dirname(target.root);
  const top = options.git || options.metrics ? await findWorktreeTop(projectDir) : null;
  const [git, metrics] = await Promise.all([
    options.git ? gitFacts(projectDir, top, target) : none(),
    options.metrics ? metricFacts(projectDir, top, target.root) : none(),
  ]);

  const state = await loadState(target.root, { timeout: target.timeout });
  if (state === null) throw new StateMissingError(target.stateFile);
  const roadmap = options.roadmap ? await roadmapFacts(target.root, state.data) : { findings: [], errors: [] };
  const fixes = options.autoFix ? roadmap.findings.flatMap((f) => (f.fix ? [f.fix] : [])) : [];
  const warnings = roadmap.findings.map((f) =>
    f.fix && options.autoFix ? `${f.message} (fixed)` : f.fix ? `${f.message} (--auto-fix fixes this)` : f.message,
  );

  const applied = applyEditsToState(state, [...git.edits, ...metrics.edits, ...fixes]);
  const changes = applied.changes;
  if (changes.length > 0) changes.push(...applyEditsToState(state, [{ path: ['snapshot_date'], value: localDate() }]).changes);
  for (const edit of applied.skipped) warnings.push(skippedEditWarning(edit));
  const errors = [...git.errors, ...metrics.errors, ...roadmap.errors];
  const report: SyncReport = {
    success: errors.length === 0,
    changes,
    errors,
    warnings,
    revision: state.revision,
    previous_revision: state.revision,
    reconciled: false,
    dry_run: options.dryRun === true,
  };
  if (changes.length === 0) return report;

  if (options.dryRun) {
    const { previewSave } = await import('./preview-save.js');
    const { unifiedDiff } = await import('../text/unified-diff.js');
    const preview = previewSave(state, await readRevisionHighWater(target.root));
    const shown = relative(process.cwd(), target.stateFile) || target.stateFile;
    return {
      ...report,
      revision: preview.revision,
      diff: unifiedDiff(preview.before, preview.after, { from: `a/${shown}`, to: `b/${shown}` }),
    };
  }

  state.changes = [
    {
      change_type: 'sync',
      description: `Synced ${describeChanges(changes)}`,
      new_value: Object.fromEntries(changes.map((c) => [c.path, c.new])),
    },
  ];
  const saved = await saveStateReport(state, target.root, {
    timeout: target.timeout,
    onConflict: 'reconcile',
    onWarning: (warning) => warnings.push(warning),
  });
  return { ...report, revision: saved.revision, reconciled: saved.reconciled };
}

export function describeChanges(changes: readonly SyncChange[]): string {
  const names = changes.map((c) => c.path).filter((p) => p !== 'snapshot_date');
  return names.length === 0 ? 'snapshot_date' : names.join(', ');
}

async function none(): Promise<Facts> {
  return { edits: [], errors: [] };
}

/**
 * Branch, last commit and whether anything is uncommitted. The state file, the audit log and the
 * lock and temp files beside them do not count: paracle writes them itself, so counting them would
 * make every sync report its own write.
 */
async function gitFacts(projectDir: string, top: string | null, target: { root: string; stateFile: string }): Promise<Facts> {
  if (top === null) return { edits: [], errors: [{ source: 'git', message: `${projectDir} is not in a git repository (use --no-git)` }] };
  try {
    const status = await readWorkingTreeStatus(projectDir, 'clean');
    const head = status.headOid === null ? null : await readCommitSummary(projectDir, 'clean');
    const own = [relative(top, target.stateFile), relative(top, auditLogPath(target.root))].map(toPosix);
    const edits = snapshotEdits(localDate(), {
      branch: status.branch,
      lastCommit: head ? formatCommitSummary(head) : null,
      hasUncommittedChanges: hasUncommittedChanges(status, own),
    }).filter((edit) => edit.path[0] !== 'snapshot_date');
    return { edits, errors: [] };
  } catch (error) {
    return { edits: [], errors: [{ source: 'git', message: (error as Error).message }] };
  }
}

async function metricFacts(projectDir: string, top: string | null, root: string): Promise<Facts> {
  try {
    const [metrics, files] = await Promise.all([
      readMetricsConfig(root),
      top === null ? walkProjectFiles(projectDir) : listWorktreeFiles(projectDir),
    ]);
    const counts = countFiles(files, metrics);
    return { edits: Object.entries(counts).map(([name, count]) => ({ path: ['metrics', name], value: count })), errors: [] };
  } catch (error) {
    return { edits: [], errors: [{ source: 'metrics', message: (error as Error).message }] };
  }
}

async function roadmapFacts(root: string, state: Record<string, unknown>): Promise<{ findings: RoadmapFinding[]; errors: SyncError[] }> {
  const read = await readRoadmap(join(root, 'roadmap', 'roadmap.yaml'));
  if (read === null) return { findings: [], errors: [] };
  if ('error' in read) return { findings: [], errors: [{ source: 'roadmap', message: read.error }] };
  return { findings: checkRoadmapAlignment(state, read.roadmap), errors: [] };
}

function toPosix(path: string): string {
  return path.split('\\').join('/');
}
