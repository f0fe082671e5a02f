// `npm pack` and `npm publish` (prepack, postpack): the packed package.json without this
// repository's own lifecycle scripts. `prepare` sets up the dogfooding hooks (husky) after a
// developer's `npm ci`; in the tarball npm would list it on every user's install ("install scripts
// not yet covered by allowScripts"), and `npm pack` itself would run it. pinst does the same for husky.
// npm reads the manifest before prepack (so postpack still runs) and again to pack (so the packed
// file and pack's own `prepare` see the stripped one). The original waits in node_modules/.cache.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const MANIFEST = 'package.json';
const BACKUP = 'node_modules/.cache/paracle-hooks-pack/package.json';
const DEVELOPMENT_ONLY = ['prepare', 'prepack', 'postpack'];

function restore() {
  if (!existsSync(BACKUP)) return;
  writeFileSync(MANIFEST, readFileSync(BACKUP));
  rmSync(BACKUP);
}

const step = process.argv[2];
if (step === 'strip') {
  restore(); // a pack stopped before its postpack left its backup: start from the original
  const text = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text);
  for (const name of DEVELOPMENT_ONLY) delete manifest.scripts?.[name];
  mkdirSync(dirname(BACKUP), { recursive: true });
  writeFileSync(BACKUP, text);
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else if (step === 'restore') {
  restore();
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs strip|restore\n');
  process.exitCode = 2;
}
