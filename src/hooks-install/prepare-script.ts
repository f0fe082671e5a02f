/**
 * `scripts.prepare` must run `paracle install`, not only `husky`: husky alone points
 * core.hooksPath at a relative `.husky/_`, which exists only in the main worktree (husky ignores
 * it), so linked worktrees would silently run no hooks after the next `npm install`.
 * Returns the new script, or null when it already runs `paracle install`.
 */
export const INSTALL_COMMAND = 'paracle install';

export function preparedScript(existing: string | undefined): string | null {
  if (existing === undefined || existing.trim() === '') return INSTALL_COMMAND;
  if (/(^|[;&|]\s*|\s)paracle\s+install(\s|$|;|&)/.test(existing)) return null;
  return `${existing.trim()} && ${INSTALL_COMMAND}`;
}

/** package.json text with `scripts.prepare` set, keeping its indentation and final newline. */
export function withPrepareScript(packageJsonText: string, script: string): string {
  const data = JSON.parse(packageJsonText) as { scripts?: Record<string, string> };
  const indent = /^[ \t]+(?=")/m.exec(packageJsonText)?.[0] ?? '  ';
  data.scripts = { ...(data.scripts ?? {}), prepare: script };
  const eol = packageJsonText.includes('\r\n') ? '\r\n' : '\n';
  const text = JSON.stringify(data, null, indent).replace(/\n/g, eol);
  return packageJsonText.endsWith('\n') ? `${text}${eol}` : text;
}
