// Build step: ships the state file's JSON Schema as a file in the package
// (`paracle-hooks/schema.json`), for editors that want a path rather than `paracle schema`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { stateSchemaJson } from '../dist/schema/state-schema.js';

mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(new URL('../dist/current_state.schema.json', import.meta.url), stateSchemaJson());
