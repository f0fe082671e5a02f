#!/usr/bin/env node
// The entry that `paracle install` wrote into .husky/pre-commit before the hooks became CommonJS
// (hooks/pre-commit.cjs); kept so that such a hook keeps working until install is run again.
import { runHook } from './run-hook.cjs';

await runHook('pre-commit');
