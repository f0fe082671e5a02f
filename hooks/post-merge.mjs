#!/usr/bin/env node
// The entry that `paracle install` wrote into .husky/post-merge before the hooks became CommonJS
// (hooks/post-merge.cjs); kept so that such a hook keeps working until install is run again.
import { runHook } from './run-hook.cjs';

await runHook('post-merge');
