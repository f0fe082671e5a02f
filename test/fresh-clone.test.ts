import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from './support/git-repo.js';
import { removeScratchFolders, runCommand, scratchDir } from './support/packed-repo.js';

/**
 * A fresh `git clone` of this repository has everything its tests and benchmarks read: the paracle
 * sample files are vendored (with their NOTICE), and no tracked file reads from beside the
 * checkout. (The whole check — clone into an empty folder, `npm ci && npm run demo`, `npm test` —
 * is run by hand and by `.ci/run` on a clean machine; this guards the committed tree against a
 * reference creeping back.)
 */

afterAll(removeScratchFolders);

describe('a fresh clone', () => {
  it.skipIf(!existsSync(join(PROJECT_ROOT, '.git')))(
    'holds the fixtures, and no test, bench or script reads outside the repository',
    async () => {
      const clone = join(scratchDir('paracle-fresh-clone-'), 'paracle-hooks');
      const result = await runCommand('git', ['clone', '-q', '--no-hardlinks', PROJECT_ROOT, clone], { cwd: PROJECT_ROOT });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(readFileSync(join(clone, 'test/fixtures/paracle/NOTICE.md'), 'utf8')).toContain('Apache License, Version 2.0');
      for (const file of ['current_state.yaml', 'roadmap.yaml', 'changelog.md'])
        expect(existsSync(join(clone, 'test/fixtures/paracle', file))).toBe(true);
      const tracked = (await runCommand('git', ['ls-files', '--', 'test', 'bench', 'scripts', 'src', '.ci'], { cwd: clone })).stdout
        .split('\n')
        .filter((file) => /\.(ts|mts|cts|js|mjs|cjs|sh)$|^\.ci\//.test(file) && file !== 'test/fresh-clone.test.ts');
      expect(tracked.length).toBeGreaterThan(50);
      for (const file of tracked) {
        const text = readFileSync(join(clone, file), 'utf8');
        expect(text.match(/shared\/fixtures|\/work\/(main|shared)\b/g) ?? [], file).toEqual([]);
      }
    },
  );
});
