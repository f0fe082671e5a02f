import type { HookOutcome } from './outcome.js';

/**
 * What a hook run prints: one summary line on success, nothing when nothing changed, warnings as
 * `paracle: warning: …`. Colour only on a terminal, never with NO_COLOR set (https://no-color.org),
 * forced on by FORCE_COLOR (for tests and CI logs that render it); NO_COLOR wins over both.
 */

export interface Printed {
  stdout: string;
  stderr: string;
}

export function colorEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

const paint = (code: string) => (on: boolean, text: string) => (on ? `\u001b[${code}m${text}\u001b[0m` : text);
const green = paint('32');
const yellow = paint('33');
const red = paint('31');
const cyan = paint('36');
const bold = paint('1');

export function formatOutcome(outcome: HookOutcome, options: { color: { stdout: boolean; stderr: boolean }; quiet?: boolean }): Printed {
  const color = options.color.stderr;
  const stderr: string[] = [];
  if (!options.quiet) for (const warning of outcome.warnings) stderr.push(`paracle: ${yellow(color, 'warning:')} ${warning}`);
  let stdout = '';
  if (outcome.kind === 'updated' && !options.quiet) {
    const what = outcome.revision
      ? `${bold(color, outcome.fileName)} rev ${outcome.revision.from} → ${green(color, String(outcome.revision.to))}`
      : `${bold(color, 'changelog.md')} updated`;
    const changelog = outcome.revision && outcome.changelogUpdated ? ', changelog.md updated' : '';
    stderr.push(`paracle: ${what} (${outcome.detail})${changelog}`);
  }
  if (outcome.kind === 'preview') stdout = colorDiff(outcome.diff, options.color.stdout);
  return { stdout, stderr: stderr.map((line) => `${line}\n`).join('') };
}

function colorDiff(diff: string, color: boolean): string {
  if (!color) return diff;
  return diff
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---')) return bold(true, line);
      if (line.startsWith('@@')) return cyan(true, line);
      if (line.startsWith('+')) return green(true, line);
      if (line.startsWith('-')) return red(true, line);
      return line;
    })
    .join('\n');
}
