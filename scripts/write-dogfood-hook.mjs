// This repository's own .husky/pre-commit (dogfooding): the block `paracle install` writes for a
// project, with the shell check made from this checkout's .parac/config/hooks.yaml and version, run
// against this checkout's hooks/. Rerun after changing either (a stale check only means node runs):
//
//   npm run build && node scripts/write-dogfood-hook.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderHookBlock, upsertBlock } from '../dist/hooks-install/hook-script.js';
import { readStagedCheck } from '../dist/hooks-install/install.js';

const top = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const file = join(top, '.husky', 'pre-commit');
const header = [
  "# Dogfooding: this repository's own .parac/ state, kept by its own hooks (PARACLE=0 or HUSKY=0 skips).",
  "# Runs the checkout's hooks/ directly; without a built dist/ it prints one line and lets the commit through.",
  '# The block is written by scripts/write-dogfood-hook.mjs.',
  '',
].join('\n');
const block = renderHookBlock({
  hook: 'pre-commit',
  toolkitFromHookDir: '..',
  toolkitFromTop: '.',
  huskyFromTop: '.husky',
  root: null,
  stagedCheck: readStagedCheck(top, join(top, '.parac'), top),
});
const existing = existsSync(file) ? readFileSync(file, 'utf8') : '';
writeFileSync(file, upsertBlock(existing.includes('# >>> paracle-hooks') ? existing : header, block));
