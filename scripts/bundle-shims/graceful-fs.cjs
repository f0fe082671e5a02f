'use strict';
// Stands in for graceful-fs in the CLI and hook bundles (see scripts/build-bundles.mjs).
module.exports = require('node:fs');
