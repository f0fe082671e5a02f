#!/usr/bin/env node
// git runs this through .husky/pre-commit (see `paracle install`); the work lives in src/hooks-run/.
import { runHook } from './run-hook.mjs';

await runHook('pre-commit');
