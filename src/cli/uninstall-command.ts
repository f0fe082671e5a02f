import { uninstallHooks } from '../hooks-install/uninstall.js';
import { writeJsonResult } from './json-output.js';

/** Prints what `paracle uninstall` did, one line per change, like install. */
export async function runUninstallCommand(options: { quiet?: boolean; json?: boolean }): Promise<void> {
  const report = await uninstallHooks();
  if (options.json) {
    writeJsonResult(report, { pretty: false });
    return;
  }
  if (options.quiet) return;
  const lines = [
    ...report.changes.map((change) => `paracle: ${change}`),
    ...(report.changes.length === 0 ? ['paracle: nothing of paracle install was found; nothing changed'] : []),
    ...report.notes.map((note) => `paracle: note: ${note}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
