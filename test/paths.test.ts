import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findParacRoot } from '../src/state/paths.js';
import { tempDir } from './support/fixtures.js';

const suiteCeiling = process.env.GIT_CEILING_DIRECTORIES;
afterEach(() => {
  if (suiteCeiling === undefined) delete process.env.GIT_CEILING_DIRECTORIES;
  else process.env.GIT_CEILING_DIRECTORIES = suiteCeiling;
});

describe('findParacRoot', () => {
  it('finds the nearest .parac walking up, and null when there is none', () => {
    const top = tempDir('paracle-paths-');
    const deep = join(top, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    // Whatever lies above the temp folder (a checkout with its own .parac/) is fenced off.
    process.env.GIT_CEILING_DIRECTORIES = dirname(top);
    expect(findParacRoot(deep)).toBeNull();
    mkdirSync(join(top, '.parac'));
    expect(findParacRoot(deep)).toBe(join(top, '.parac'));
    mkdirSync(join(top, 'a', '.parac'));
    expect(findParacRoot(deep)).toBe(join(top, 'a', '.parac'));
  });

  it('does not walk up into a folder listed in GIT_CEILING_DIRECTORIES, as git does not', () => {
    const top = tempDir('paracle-paths-');
    const deep = join(top, 'a', 'b');
    mkdirSync(deep, { recursive: true });
    mkdirSync(join(top, '.parac'));
    process.env.GIT_CEILING_DIRECTORIES = ['relative/ignored', '', join(top, 'a', 'b', '..', '..')].join(':');
    expect(findParacRoot(deep)).toBeNull();
    // The ceiling itself is still searched when the search starts there.
    expect(findParacRoot(top)).toBe(join(top, '.parac'));
    delete process.env.GIT_CEILING_DIRECTORIES;
    expect(findParacRoot(deep)).toBe(join(top, '.parac'));
  });
});
