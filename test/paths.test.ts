import { mkdirSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findParacRoot } from '../src/state/paths.js';

describe('findParacRoot', () => {
  it('finds the nearest .parac walking up, and null when there is none', () => {
    const top = realpathSync(mkdtempSync(join(tmpdir(), 'paracle-paths-')));
    const deep = join(top, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    expect(findParacRoot(deep)).toBeNull();
    mkdirSync(join(top, '.parac'));
    expect(findParacRoot(deep)).toBe(join(top, '.parac'));
    mkdirSync(join(top, 'a', '.parac'));
    expect(findParacRoot(deep)).toBe(join(top, 'a', '.parac'));
  });
});
