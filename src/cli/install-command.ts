import { writeJsonResult } from './json-output.js';
import { installHooks, type InstallReport } from '../hooks-install/install.js';

/**
 * Prints what `paracle install` did, one line per change. Run by npm as a lifecycle script
 * (`prepare`), a failure is printed as a warning and the install goes on: a missing git repository
 * (a packed tarball, a CI cache) must not fail someone's `npm install`.
 */
const INSTALL_LIFECYCLE = new Set(['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare']);

export async function runInstallCommand(options: { quiet?: boolean; json?: boolean; env?: NodeJS.ProcessEnv }): Promise<void> {
  const env = options.env ?? process.env;
  let report: InstallReport;
  try {
    report = await installHooks({ env });
  } catch (error) {
    // `npx`/`npm exec` set npm_lifecycle_event too; only an install lifecycle softens failures.
    if (!INSTALL_LIFECYCLE.has(env.npm_lifecycle_event ?? '')) throw error;
    const reason = `hooks not installed: ${(error as Error).message.split('\n')[0]}`;
    process.stderr.write(`paracle: warning: ${reason}\n`);
    if (options.json) writeJsonResult({ kind: 'skipped', reason }, { pretty: false });
    return;
  }
  if (options.json) {
    writeJsonResult(report, { pretty: false });
    return;
  }
  if (options.quiet) return;
  if (report.kind === 'installed') for (const warning of report.warnings) process.stderr.write(`paracle: warning: ${warning}\n`);
  const lines =
    report.kind === 'skipped'
      ? [`paracle: install skipped (${report.reason})`]
      : [
          ...report.changes.map((change) => `paracle: ${change}`),
          ...(report.changes.length === 0
            ? [report.externalHooks === null ? 'paracle: hooks already installed; nothing changed' : 'paracle: nothing changed']
            : []),
          ...report.notes.map((note) => `paracle: note: ${note}`),
        ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
