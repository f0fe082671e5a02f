import { BLOCKER_SEVERITIES } from '../validate/state-checks.js';

/**
 * JSON Schema (draft-07, the draft editors' YAML plugins support best) of
 * `.parac/memory/context/current_state.yaml`, printed by `paracle schema` so an editor can check the
 * file as it is typed. It states what `paracle validate` checks (src/validate/state-checks.ts and
 * the revision rule of src/document/document.ts), no more: a file the schema accepts is one validate
 * accepts, and the many keys no tool knows about are allowed. test/verify-schema.test.ts holds the
 * two to the same verdict on the real files and on broken variants of them.
 */

const text = (description: string) => ({ type: ['string', 'number', 'null'], description });
const stringOrNull = (description: string) => ({ type: ['string', 'null'], description });
const stringList = (description: string) => ({
  type: ['array', 'null'],
  description,
  items: { type: 'string', description: 'Quote an item that contains ": ", or YAML reads it as a mapping.' },
});
const percentage = {
  anyOf: [
    { type: 'string', pattern: '^\\s*(100(\\.0+)?|\\d{1,2}(\\.\\d+)?)\\s*%\\s*$' },
    { type: 'number', minimum: 0, maximum: 100 },
    { type: 'null' },
  ],
  description: 'From 0% to 100%, written as in the file (e.g. "75%").',
};

export const STATE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'paracle current_state.yaml',
  description: 'The project state kept in .parac/memory/context/current_state.yaml. Keys not listed here are allowed and kept as they are.',
  type: 'object',
  additionalProperties: true,
  properties: {
    version: text('Format version, e.g. "1.0".'),
    snapshot_date: {
      type: 'string',
      pattern: '^\\d{4}-\\d{2}-\\d{2}([T ].*)?$',
      description: 'Date of the last update, YYYY-MM-DD.',
    },
    revision: {
      type: 'integer',
      minimum: 0,
      description: 'Raised by every save; never edit it down (`paracle verify` rejects a rewound revision).',
    },
    project: {
      type: 'object',
      additionalProperties: true,
      properties: {
        name: { type: 'string', description: 'Quote a {{PLACEHOLDER}}, or YAML reads it as a nested mapping.' },
        version: text('e.g. "1.0.0".'),
        phase: text('Current phase id.'),
      },
    },
    current_phase: {
      anyOf: [
        { type: ['string', 'number'], description: 'A phase id.' },
        {
          type: 'object',
          additionalProperties: true,
          properties: {
            id: text('Phase id, e.g. phase_10.'),
            name: stringOrNull('Phase name.'),
            status: stringOrNull('e.g. in_progress.'),
            progress: percentage,
            focus_areas: stringList('Focus areas of the phase.'),
            completed: stringList('Items completed in this phase.'),
            in_progress: stringList('Items in progress.'),
            pending: stringList('Items not started.'),
            deliverables: stringList('Deliverables of the phase.'),
          },
        },
      ],
    },
    blockers: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        additionalProperties: true,
        required: ['id', 'description'],
        properties: {
          id: { type: ['string', 'number'], description: 'e.g. blocker_1.' },
          description: { type: 'string' },
          severity: { enum: [...BLOCKER_SEVERITIES] },
          added_date: {
            type: 'string',
            description: "YYYY-MM-DD, the day it was added (the Python tooling's name; older files may say `added`).",
          },
        },
      },
    },
    next_actions: stringList('What to do next.'),
    metrics: { type: ['object', 'null'], additionalProperties: true },
    repository: {
      type: ['object', 'null'],
      additionalProperties: true,
      properties: {
        branch: stringOrNull('Set by the hooks.'),
        last_commit: stringOrNull('"<short hash> <subject>", set by the hooks.'),
        has_uncommitted_changes: { type: ['boolean', 'null'] },
      },
    },
  },
} as const;

export function stateSchemaJson(): string {
  return `${JSON.stringify(STATE_SCHEMA, null, 2)}\n`;
}
