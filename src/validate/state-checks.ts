import { quotedExcerpt, sourceExcerpt } from '../text/quoted-excerpt.js';
import { isRecord } from '../document/plain-data.js';

/**
 * The types of the state file's known fields. The file has many keys no tool knows about; those are
 * never a problem. A known key holding the wrong kind of value is: a `next_actions` item written
 * with an unquoted colon silently becomes a mapping (the real history has one), a formatter can turn
 * a `{{PLACEHOLDER}}` into a nested mapping (the real templates have one). Pure: data in, problems
 * (with the path of the offending value) out.
 */

export type ValuePath = Array<string | number>;

export interface FieldProblem {
  path: ValuePath;
  message: string;
}

export const BLOCKER_SEVERITIES = ['low', 'medium', 'high', 'critical'];
const PHASE_LISTS = ['focus_areas', 'completed', 'in_progress', 'pending', 'deliverables'];

export function checkStateFields(data: Record<string, unknown>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const report = (path: ValuePath, message: string) => problems.push({ path, message });
  const at = (key: string) => (Object.hasOwn(data, key) ? data[key] : undefined);

  optional(at('version'), ['version'], report, isText, 'a string such as "1.0"');
  const date = at('snapshot_date');
  if (date !== undefined && !(typeof date === 'string' && isCalendarDate(date))) {
    report(['snapshot_date'], `snapshot_date must be a date written YYYY-MM-DD, found ${describe(date)}`);
  }

  const project = at('project');
  if (project !== undefined) {
    if (!isRecord(project)) report(['project'], `project must be a mapping, found ${describe(project)}`);
    else {
      const name = project.name;
      if (name !== undefined && typeof name !== 'string') {
        const hint = isRecord(name) ? ' (an unquoted {{PLACEHOLDER}} reads as a nested mapping: quote it)' : '';
        report(['project', 'name'], `project.name must be a string, found ${describe(name)}${hint}`);
      }
      optional(project.version, ['project', 'version'], report, isText, 'a string such as "1.0.0"');
      optional(project.phase, ['project', 'phase'], report, isText, 'a phase id');
    }
  }

  const phase = at('current_phase');
  if (phase !== undefined && !isText(phase)) {
    if (!isRecord(phase)) report(['current_phase'], `current_phase must be a mapping (or a phase id), found ${describe(phase)}`);
    else {
      optional(phase.id, ['current_phase', 'id'], report, isText, 'a phase id');
      optional(phase.name, ['current_phase', 'name'], report, (v) => typeof v === 'string', 'a string');
      optional(phase.status, ['current_phase', 'status'], report, (v) => typeof v === 'string', 'a string');
      const progress = phase.progress;
      if (progress !== undefined && progress !== null && percentOf(progress) === null) {
        report(['current_phase', 'progress'], `current_phase.progress must be a percentage from 0% to 100%, found ${describe(progress)}`);
      }
      for (const key of PHASE_LISTS) checkStringList(phase[key], ['current_phase', key], report);
    }
  }

  const blockers = at('blockers');
  if (blockers !== undefined && blockers !== null) {
    if (!Array.isArray(blockers)) report(['blockers'], `blockers must be a list, found ${describe(blockers)}`);
    else {
      blockers.forEach((blocker, i) => {
        const where: ValuePath = ['blockers', i];
        if (!isRecord(blocker)) {
          report(where, `blockers[${i}] must be a mapping with id, description and severity, found ${describe(blocker)}`);
          return;
        }
        if (!isText(blocker.id)) report([...where, 'id'], `blockers[${i}].id must be a string, found ${describe(blocker.id)}`);
        if (typeof blocker.description !== 'string') {
          report([...where, 'description'], `blockers[${i}].description must be a string, found ${describe(blocker.description)}`);
        }
        if (blocker.severity !== undefined && !BLOCKER_SEVERITIES.includes(blocker.severity as string)) {
          report(
            [...where, 'severity'],
            `blockers[${i}].severity must be one of ${BLOCKER_SEVERITIES.join(', ')}, found ${describe(blocker.severity)}`,
          );
        }
      });
    }
  }

  checkStringList(at('next_actions'), ['next_actions'], report);
  const metrics = at('metrics');
  if (metrics !== undefined && metrics !== null && !isRecord(metrics))
    report(['metrics'], `metrics must be a mapping, found ${describe(metrics)}`);

  const repository = at('repository');
  if (repository !== undefined && repository !== null) {
    if (!isRecord(repository)) report(['repository'], `repository must be a mapping, found ${describe(repository)}`);
    else {
      optional(repository.branch, ['repository', 'branch'], report, (v) => typeof v === 'string', 'a string');
      optional(repository.last_commit, ['repository', 'last_commit'], report, (v) => typeof v === 'string', 'a string');
      optional(
        repository.has_uncommitted_changes,
        ['repository', 'has_uncommitted_changes'],
        report,
        (v) => typeof v === 'boolean',
        'true or false',
      );
    }
  }
  return problems;
}

function optional(
  value: unknown,
  path: ValuePath,
  report: (path: ValuePath, message: string) => void,
  ok: (value: unknown) => boolean,
  expected: string,
): void {
  if (value === undefined || value === null || ok(value)) return;
  report(path, `${path.join('.')} must be ${expected}, found ${describe(value)}`);
}

function checkStringList(value: unknown, path: ValuePath, report: (path: ValuePath, message: string) => void): void {
  if (value === undefined || value === null) return;
  const name = path.join('.');
  if (!Array.isArray(value)) {
    report(path, `${name} must be a list, found ${describe(value)}`);
    return;
  }
  value.forEach((item, i) => {
    if (typeof item === 'string') return;
    const hint =
      isRecord(item) && Object.keys(item).length === 1 ? ' (an unquoted ": " inside an item makes it a mapping: quote the item)' : '';
    report([...path, i], `${name}[${i}] must be a string, found ${describe(item)}${hint}`);
  });
}

function isText(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number';
}

function isCalendarDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function percentOf(value: unknown): number | null {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' ? Number(/^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(value)?.[1] ?? NaN) : NaN;
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : null;
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return `a mapping ${sourceExcerpt(JSON.stringify(value), 80)}`;
  if (typeof value === 'string') return `string ${quotedExcerpt(value)}`;
  return `${typeof value} ${sourceExcerpt(String(value))}`;
}
