'use strict';
// A stand-in pre-commit hook for bench/hook-commit.mjs: the two git calls a hook that stages what it
// writes cannot do without (what is staged; stage a file), and nothing else. Its cost is a floor.
// With --diff it first asks `git diff --cached` for the staged names, as issue 24's floor does
// (bench/sections/hook-side-by-side.mjs).
const { execFileSync } = require('node:child_process');

if (process.argv.includes('--diff'))
  execFileSync('git', ['diff', '--cached', '--name-only', '-z'], { stdio: ['ignore', 'pipe', 'inherit'] });

execFileSync('git', ['status', '--porcelain=v2', '--branch', '-z'], { stdio: ['ignore', 'pipe', 'inherit'] });
execFileSync('git', ['add', '-u', '--', '.parac/memory/context/current_state.yaml'], { stdio: 'inherit' });
