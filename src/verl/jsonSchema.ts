// The editor schema for `*.verl.json` (completion, hover, schema errors), generated from the one zod schema.
// `npm run schemas` writes it to media/schemas/; a unit test fails when that copy is stale.
import { z } from 'zod';
import { VerlRunConfigSchema } from '../protocol/verl';

/** Where `npm run schemas` writes the editor schema for `*.verl.json` (contributed through jsonValidation). */
export const VERL_JSON_SCHEMA_FILE = 'media/schemas/verl.schema.json';

/** JSON Schema for editors: draft-7 (what VS Code implements), defaults optional, comments allowed. */
export function verlRunConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(VerlRunConfigSchema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }),
    allowComments: true,
    allowTrailingCommas: true,
  };
}

/** The exact text of the committed file, so a test can compare bytes. */
export function verlJsonSchemaText(): string {
  return `${JSON.stringify(verlRunConfigJsonSchema(), null, 2)}\n`;
}
