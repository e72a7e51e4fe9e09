// The editor schema for `*.verl.json` (completion, hover, schema errors), generated from the one zod schema.
// `npm run schemas` writes it to media/schemas/; a unit test fails when that copy is stale.
import { editorJsonSchema, editorJsonSchemaText } from '../core/editorSchema';
import { VerlRunConfigSchema } from '../protocol/verl';

/** Where `npm run schemas` writes the editor schema for `*.verl.json` (contributed through jsonValidation). */
export const VERL_JSON_SCHEMA_FILE = 'media/schemas/verl.schema.json';

export function verlRunConfigJsonSchema(): Record<string, unknown> {
  return editorJsonSchema(VerlRunConfigSchema);
}

export function verlJsonSchemaText(): string {
  return editorJsonSchemaText(VerlRunConfigSchema);
}
