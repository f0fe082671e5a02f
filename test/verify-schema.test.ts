import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATE_SCHEMA } from '../src/schema/state-schema.js';
import { parseStateText } from '../src/document/document.js';
import { checkStateFields } from '../src/validate/state-checks.js';
import { FIXTURES, INVALID_HISTORY_PREFIX, historyFiles, readFixture, tempDir } from './support/fixtures.js';
import { CLI, runNode } from './support/git-repo.js';

/**
 * The JSON Schema `paracle schema` prints must say what `paracle validate` says: on every real
 * state file and on broken variants of them, the schema accepts a file exactly when the validation
 * finds no problem in it. The schema is checked by the small validator below, which knows only the
 * keywords the schema may use and refuses any other, so the schema cannot rely on something untested.
 */

type Schema = Record<string, unknown>;
const KNOWN = new Set([
  '$schema',
  'title',
  'description',
  'type',
  'properties',
  'additionalProperties',
  'required',
  'items',
  'enum',
  'pattern',
  'minimum',
  'maximum',
  'anyOf',
]);

function typeOf(value: unknown): string[] {
  if (value === null) return ['null'];
  if (Array.isArray(value)) return ['array'];
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number'];
  return [typeof value];
}

/** Paths where `value` breaks `schema` (empty: valid). */
function schemaErrors(schema: Schema, value: unknown, path = '$'): string[] {
  for (const key of Object.keys(schema))
    if (!KNOWN.has(key)) throw new Error(`schema keyword ${key} at ${path} is not supported by this test`);
  if (schema.anyOf) {
    const options = schema.anyOf as Schema[];
    if (!options.some((option) => schemaErrors(option, value, path).length === 0)) return [`${path}: matches none of anyOf`];
  }
  if (schema.type !== undefined) {
    const allowed = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!typeOf(value).some((t) => allowed.includes(t))) return [`${path}: ${typeOf(value)[0]} is not ${allowed.join('|')}`];
  }
  const errors: string[] = [];
  if (schema.enum && !(schema.enum as unknown[]).includes(value)) errors.push(`${path}: not in enum`);
  if (typeof value === 'string' && schema.pattern && !new RegExp(schema.pattern as string, 'u').test(value))
    errors.push(`${path}: pattern`);
  if (typeof value === 'number' && typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${path}: minimum`);
  if (typeof value === 'number' && typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${path}: maximum`);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of (schema.required as string[] | undefined) ?? [])
      if (!Object.hasOwn(record, key)) errors.push(`${path}.${key}: required`);
    if (schema.additionalProperties !== undefined && schema.additionalProperties !== true)
      throw new Error('only additionalProperties: true is supported');
    for (const [key, sub] of Object.entries((schema.properties as Record<string, Schema> | undefined) ?? {})) {
      if (Object.hasOwn(record, key)) errors.push(...schemaErrors(sub, record[key], `${path}.${key}`));
    }
  }
  if (Array.isArray(value) && schema.items)
    value.forEach((item, i) => errors.push(...schemaErrors(schema.items as Schema, item, `${path}[${i}]`)));
  return errors;
}

/** What `paracle validate` says about a state file's text: parse errors (revision rule included) and field problems. */
function validateVerdict(text: string): string[] {
  try {
    return checkStateFields(parseStateText(text, 'state').data).map((p) => p.message);
  } catch (error) {
    return [(error as Error).message];
  }
}

const REAL = readFixture('current_state.yaml');
const REAL_DATA = parseStateText(REAL, 'real').data;
const realFiles = [
  ...historyFiles().filter((f) => !basename(f).startsWith(INVALID_HISTORY_PREFIX)),
  `${FIXTURES}/current_state.yaml`,
  `${FIXTURES}/template-lite-current_state.yaml`,
  `${FIXTURES}/template-advanced-current_state.yaml`,
];

const BROKEN: Array<[string, (d: Record<string, any>) => void]> = [
  ['progress above 100%', (d) => void (d.current_phase.progress = '150%')],
  ['progress as a word', (d) => void (d.current_phase.progress = 'half')],
  ['progress as a number (allowed)', (d) => void (d.current_phase.progress = 40)],
  ['a blocker with an unknown severity', (d) => void (d.blockers = [{ id: 'b1', description: 'x', severity: 'urgent' }])],
  ['a blocker without a description', (d) => void (d.blockers = [{ id: 'b1', severity: 'low' }])],
  ['a blocker that is a string', (d) => void (d.blockers = ['just text'])],
  ['a next action that became a mapping', (d) => void d.next_actions.push({ 'Start Phase 1': 'Core Domain' })],
  ['snapshot_date not a date', (d) => void (d.snapshot_date = 'yesterday')],
  ['project.name a mapping', (d) => void (d.project.name = { PROJECT_NAME: null })],
  ['project not a mapping', (d) => void (d.project = 'paracle')],
  ['repository.has_uncommitted_changes a string', (d) => void (d.repository.has_uncommitted_changes = 'yes')],
  ['metrics a list', (d) => void (d.metrics = [1, 2])],
  ['a phase list of numbers', (d) => void (d.current_phase.focus_areas = [1, 2])],
  ['current_phase null', (d) => void (d.current_phase = null)],
  ['an unknown key (allowed)', (d) => void (d.something_new = { any: ['thing'] })],
  ['nullable fields null (allowed)', (d) => void Object.assign(d, { blockers: null, next_actions: null, metrics: null, repository: null })],
  ['current_phase as an id (allowed)', (d) => void (d.current_phase = 'phase_10')],
];

describe('the state JSON Schema', () => {
  it('accepts exactly what validate accepts on every real state file', () => {
    const verdicts = realFiles.map((file) => {
      const text = readFileSync(file, 'utf8');
      const data = parseStateText(text, file).data;
      return { file: basename(file), validate: validateVerdict(text).length === 0, schema: schemaErrors(STATE_SCHEMA as Schema, data) };
    });
    for (const v of verdicts) expect(v.schema.length === 0, `${v.file}: ${v.schema.join('; ')}`).toBe(v.validate);
    // The real files include both verdicts: templates and early history fail, later history passes.
    expect(verdicts.filter((v) => v.validate).length).toBeGreaterThan(5);
    expect(verdicts.filter((v) => !v.validate).map((v) => v.file)).toEqual(
      expect.arrayContaining(['template-lite-current_state.yaml', '01-2025-12-24-4fe80a8.yaml']),
    );
  });

  it.each(BROKEN)('agrees with validate on the real file with %s', (name, mutate) => {
    const data = structuredClone(REAL_DATA) as Record<string, any>;
    mutate(data);
    const valid = checkStateFields(data).length === 0;
    expect(valid).toBe(name.endsWith('(allowed)'));
    expect(schemaErrors(STATE_SCHEMA as Schema, data).length === 0).toBe(valid);
  });

  it('agrees on the revision rule: a non-negative integer', () => {
    for (const [value, ok] of [
      [0, true],
      [12, true],
      [-1, false],
      [1.5, false],
      ['12', false],
    ] as const) {
      const data = { ...parseStateText(REAL, 'real').data, revision: value };
      const text = REAL.replace(/^revision: \d+$/m, `revision: ${JSON.stringify(value)}`);
      expect(schemaErrors(STATE_SCHEMA as Schema, data).length === 0, String(value)).toBe(ok);
      expect(validateVerdict(text).length === 0, String(value)).toBe(ok);
    }
  });

  it('`paracle schema` prints it as JSON', async () => {
    const result = await runNode([CLI, 'schema'], tempDir());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(JSON.parse(JSON.stringify(STATE_SCHEMA)));
    expect((JSON.parse(result.stdout) as Schema).$schema).toBe('http://json-schema.org/draft-07/schema#');
  });
});
