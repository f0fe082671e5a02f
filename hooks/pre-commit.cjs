#!/usr/bin/env node
'use strict';
// git runs this through .husky/pre-commit (see `paracle install`); the work lives in src/hooks-run/.
require('./run-hook.cjs').runHook('pre-commit');
