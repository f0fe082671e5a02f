import { basename } from 'node:path';
import type { WorkingTreeStatus } from '../git/status.js';
import type { StateEdit } from '../state/state-edits.js';
import { addChangelogEntry } from '../tasks/changelog.js';
import { describeAreaChanges, recentChangesEdits, type AreaChange } from '../tasks/changes-by-area.js';
import { roadmapAlignmentWarning, type RoadmapRead } from '../tasks/roadmap-alignment.js';
import { snapshotEdits } from '../tasks/snapshot.js';
import { hasUncommittedChanges } from '../tasks/uncommitted-changes.js';
import type { HookContext } from './hook-context.js';
import type { IndexToStage } from './stage-files.js';

/**
 * The pre-commit plan: what the tasks make of one commit's facts, computed before the lock is taken
 * and before anything is written. Pure (data in, data out); pre-commit.ts gathers the facts and
 * pre-commit-apply.ts carries the plan out.
 */

export interface PreCommitFacts {
  today: string;
  status: WorkingTreeStatus;
  lastCommit: string | null;
  indexes: IndexToStage[];
  /** null: no roadmap file, or the roadmap task is off. */
  roadmap: RoadmapRead | null;
  /** Set for `git commit --amend` (see amend.ts). */
  amend: PreCommitAmend | null;
}

export interface PreCommitAmend {
  /** The revision the replaced commit took, free to be written again; null when it took none. */
  replacesRevision: number | null;
  parentRevision: number | null;
}

export interface PreCommitPlan {
  today: string;
  areas: AreaChange[];
  edits: StateEdit[];
  changelogLabels: string[];
  audit: { changeType: string; description: string; [extra: string]: unknown };
  roadmap: RoadmapRead | null;
  amend: PreCommitAmend | null;
}

/** Pure: the tasks' edits for this commit. */
export function planPreCommit(
  context: Pick<HookContext, 'config' | 'stateFile' | 'auditLog'>,
  facts: PreCommitFacts,
  areas: AreaChange[],
): PreCommitPlan {
  const { tasks } = context.config;
  const edits: StateEdit[] = [];
  if (tasks.changesByArea) edits.push(...recentChangesEdits(areas));
  if (tasks.snapshot) {
    edits.push(
      ...snapshotEdits(facts.today, {
        branch: facts.status.branch,
        lastCommit: facts.lastCommit,
        hasUncommittedChanges: hasUncommittedChanges(facts.status, ownFiles(context), 'after-commit'),
      }),
    );
  }
  const labels = new Map(context.config.areas.map((a) => [a.name, a.label]));
  const detail = describeAreaChanges(areas);
  return {
    today: facts.today,
    areas,
    edits,
    changelogLabels: tasks.changelog ? areas.map((a) => labels.get(a.area) ?? a.area) : [],
    audit: {
      changeType: 'auto_maintain',
      description: `pre-commit${facts.amend ? ' (git commit --amend)' : ''}: ${detail}`,
      hook: 'pre-commit',
      areas: areas.map(({ area, count }) => ({ area, count })),
      // The entry that follows one with the same revision replaces it (the amended commit is gone): see docs/history.md.
      ...(facts.amend ? { amend: true } : {}),
    },
    roadmap: facts.roadmap,
    amend: facts.amend,
  };
}

/** paracle's own files, which `has_uncommitted_changes` does not count (as in `paracle sync`). */
function ownFiles(context: Pick<HookContext, 'stateFile' | 'auditLog'>): string[] {
  return [context.stateFile.repoPath, context.auditLog.repoPath].filter((path): path is string => path !== null);
}

/** The roadmap task's warnings against the state as found under the lock. */
export function roadmapWarnings(plan: Pick<PreCommitPlan, 'roadmap'>, stateData: Record<string, unknown>): string[] {
  if (plan.roadmap === null) return [];
  if ('error' in plan.roadmap) return [`${plan.roadmap.error} (the roadmap was not compared)`];
  const warning = roadmapAlignmentWarning(plan.roadmap.roadmap, stateData);
  return warning ? [warning] : [];
}

export function changelogUpdate(plan: Pick<PreCommitPlan, 'changelogLabels' | 'today'>): (text: string) => string | null {
  return (text) => addChangelogEntry(text, plan.changelogLabels, plan.today);
}

export function stateFileName(context: Pick<HookContext, 'stateFile'>): string {
  return basename(context.stateFile.file);
}
