import type { Problem } from '../validate/validate-workspace.js';

/**
 * What `paracle verify` found, and its three renderings: text for people (`file:line:col: message`
 * on stderr, like `paracle validate`), GitHub Actions workflow commands (`::error file=…,line=…::`
 * annotations, shown on the pull request's diff), and JSON. Pure.
 */

export interface VerifyReport {
  ok: boolean;
  problems: Problem[];
  /** For the success line: what was checked. */
  summary: {
    stateFile: string;
    revision: number | null;
    base: {
      ref: string;
      revision: number | null;
      stateChanged: boolean;
      /** The audit log is tracked by git (by default it is a local record and only its lines are checked). */
      logTracked: boolean;
      newLogLines: number;
      /** Reverts (short hashes) that explain a revision below the base's. */
      reverts: string[];
    } | null;
    logLines: number;
  };
}

export type VerifyFormat = 'text' | 'github';

/** `{ ok, problems: [{ file, line?, message }] }` */
export function verifyJson(report: VerifyReport): { ok: boolean; problems: Array<{ file: string; line?: number; message: string }> } {
  return {
    ok: report.ok,
    problems: report.problems.map((p) => ({ file: p.file, ...(p.line !== undefined ? { line: p.line } : {}), message: p.message })),
  };
}

export function problemLines(report: VerifyReport, format: VerifyFormat): string[] {
  return report.problems.map((p) => (format === 'github' ? githubAnnotation(p) : textLine(p)));
}

export function summaryLine(report: VerifyReport): string {
  if (!report.ok) return `paracle: verify failed: ${report.problems.length} problem${report.problems.length === 1 ? '' : 's'}`;
  const { stateFile, revision, base, logLines } = report.summary;
  const parts = [`${stateFile} valid (revision ${revision ?? 0})`];
  if (base !== null) {
    const reverted = base.reverts.length > 0 ? `; below it by reverting ${base.reverts.join(', ')}` : '';
    parts.push(
      base.stateChanged
        ? `changed since ${base.ref} (revision ${base.revision ?? 'none'} there${reverted})`
        : `unchanged since ${base.ref}`,
    );
    parts.push(
      base.logTracked
        ? `audit log ${logLines} line${logLines === 1 ? '' : 's'}, append-only (${base.newLogLines} new)`
        : `audit log ${logLines} line${logLines === 1 ? '' : 's'} valid (a local record, not tracked)`,
    );
  } else {
    parts.push(`audit log ${logLines} line${logLines === 1 ? '' : 's'} valid`);
  }
  return `paracle: verify ok: ${parts.join('; ')}`;
}

function textLine(p: Problem): string {
  return `${p.file}${p.line !== undefined ? `:${p.line}` : ''}${p.line !== undefined && p.column !== undefined ? `:${p.column}` : ''}: ${p.message}`;
}

/** https://docs.github.com/actions/reference/workflow-commands-for-github-actions#setting-an-error-message */
export function githubAnnotation(p: Omit<Problem, 'file'> & { file?: string }): string {
  const properties = p.file !== undefined ? [`file=${escapeProperty(p.file)}`] : [];
  if (p.line !== undefined) properties.push(`line=${p.line}`);
  if (p.line !== undefined && p.column !== undefined) properties.push(`col=${p.column}`);
  properties.push('title=paracle verify');
  return `::error ${properties.join(',')}::${escapeData(p.message)}`;
}

/**
 * A verify that could not run (an unknown --base, no repository, no .parac/) is a failure too: under
 * `--format github` it gets an annotation like any problem, or the run would show none.
 */
export function githubFailureAnnotation(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
  const at = error as { file?: unknown; line?: unknown; column?: unknown } | null;
  if (typeof at?.file !== 'string') return githubAnnotation({ message });
  const line = typeof at.line === 'number' ? at.line : undefined;
  const column = typeof at.column === 'number' ? at.column : undefined;
  return githubAnnotation({ file: at.file, line, column, message });
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
