// Child process: one load → updateProgress → save, reporting the outcome on stdout as JSON.
// Usage: node state-save-once.mjs <paracRoot> <progress> [timeoutSeconds]
import { loadState, saveState } from '../../dist/index.js';

const [root, progress, timeout] = process.argv.slice(2);
try {
  const state = await loadState(root);
  state.updateProgress(Number(progress));
  const revision = await saveState(state, root, { timeout: timeout ? Number(timeout) : undefined });
  process.stdout.write(`${JSON.stringify({ ok: true, revision })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: error.code, message: error.message })}\n`);
}
