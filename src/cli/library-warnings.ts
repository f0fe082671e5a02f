/**
 * The library tells warnings through node's warning channel (code PARACLE_WARNING) when no handler
 * was passed; the CLI prints them as its own one-line warnings instead of node's `(node:pid)` form.
 */
export function renderLibraryWarnings(): void {
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const prefix = warning.code === 'PARACLE_WARNING' ? 'paracle: warning' : `paracle: warning (${warning.name})`;
    process.stderr.write(`${prefix}: ${warning.message}\n`);
  });
}
