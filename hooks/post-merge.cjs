#!/usr/bin/env node
'use strict';
// git runs this through .husky/post-merge (see `paracle install`); the work lives in src/hooks-run/.
require('./run-hook.cjs').runHook('post-merge');
