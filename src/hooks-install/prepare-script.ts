/**
 * `scripts.prepare` runs install, so that every `npm install` (and a fresh clone's first one)
 * sets up the hooks and the merge driver again: neither is committed, both live in `.git/`.
 *
 * The script must tolerate the toolkit's absence: paracle-hooks is a devDependency, and a
 * production install (`npm ci --omit=dev`, a Docker build) still runs `prepare` without it. Like
 * husky's documented `husky || true`, a missing command ends the script with success; `exit 0`
 * rather than `true` because npm runs scripts with cmd.exe on Windows, which has no `true`. (The
 * install itself never fails under npm: it prints a warning instead, see install-command.ts.)
 *
 * It calls the `paracle-hooks` bin, named after the package: when the package is absent, a
 * `paracle` found elsewhere on PATH (the Python paracle tooling has one) must not run instead.
 */
export const INSTALL_COMMAND = 'paracle-hooks install || exit 0';

/** `paracle install` or `paracle-hooks install` (with options), and the tolerance when present, as a command of its own. */
const OURS = /(^|[;&|(]\s*|\s)paracle(?:-hooks)?\s+install((?:\s+--?[\w-]+)*)(\s*\|\|\s*(?:exit\s+0|true))?(?=\s*$|\s*[;&|)])/;

/** Returns the new script, or null when it already runs the current install command. */
export function preparedScript(existing: string | undefined): string | null {
  const script = existing?.trim() ?? '';
  if (script === '') return INSTALL_COMMAND;
  const found = OURS.exec(script);
  if (found === null) return `${script} && (${INSTALL_COMMAND})`;
  const [whole, before = '', options = '', tolerance] = found;
  const start = found.index + before.length;
  const end = found.index + whole.length;
  if (tolerance !== undefined && script.slice(start).startsWith('paracle-hooks')) return null;
  // An earlier install's `paracle install` (fails a production install): brought up to date in place.
  const command = `paracle-hooks install${options} || exit 0`;
  const replacement = start === 0 && end === script.length ? command : `(${command})`;
  return `${script.slice(0, start)}${replacement}${script.slice(end)}`;
}

/**
 * The script without install's command (`paracle uninstall`): undefined when it has none, null when
 * the command was the whole script, else the rest (`husky && (paracle-hooks install || exit 0)` →
 * `husky`): the command, the parentheses install put around it, and the `&&` joining it.
 */
export function scriptWithoutInstall(existing: string): string | null | undefined {
  const script = existing.trim();
  const found = OURS.exec(script);
  if (found === null) return undefined;
  const [whole, before = ''] = found;
  let start = found.index + before.length;
  let end = found.index + whole.length;
  if (script[start - 1] === '(' && script[end] === ')') {
    start -= 1;
    end += 1;
  }
  let head = script.slice(0, start);
  let tail = script.slice(end);
  const joinedBefore = /\s*(?:&&|;)\s*$/.exec(head);
  if (joinedBefore !== null) head = head.slice(0, joinedBefore.index);
  else tail = tail.replace(/^\s*(?:&&|;)\s*/, '');
  const rest = `${head}${tail}`.trim();
  return rest === '' ? null : rest;
}

/** package.json text with `scripts.prepare` set (null: removed, and `scripts` too when that empties it), keeping its indentation and final newline. */
export function withPrepareScript(packageJsonText: string, script: string | null): string {
  const data = JSON.parse(packageJsonText) as { scripts?: Record<string, string> };
  const indent = /^[ \t]+(?=")/m.exec(packageJsonText)?.[0] ?? '  ';
  if (script !== null) data.scripts = { ...(data.scripts ?? {}), prepare: script };
  else if (data.scripts !== undefined) {
    delete data.scripts.prepare;
    if (Object.keys(data.scripts).length === 0) delete data.scripts;
  }
  const eol = packageJsonText.includes('\r\n') ? '\r\n' : '\n';
  const text = JSON.stringify(data, null, indent).replace(/\n/g, eol);
  return packageJsonText.endsWith('\n') ? `${text}${eol}` : text;
}
