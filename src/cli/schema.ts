import type { Command } from 'commander';

/** `paracle schema`: the JSON Schema of current_state.yaml, for editors. */
export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of current_state.yaml (point your editor at it)')
    .addHelpText('after', '\nExample: paracle schema > .parac/current_state.schema.json')
    .action(async () => {
      const { stateSchemaJson } = await import('../schema/state-schema.js');
      process.stdout.write(stateSchemaJson());
    });
}
