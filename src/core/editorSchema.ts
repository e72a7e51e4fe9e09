// The JSON Schema VS Code gets for a config file, from its zod schema: draft-7 (the dialect VS Code's JSON support
// implements), the input side (defaulted fields stay optional), and comments and trailing commas allowed, as our
// readers accept them. `npm run schemas` writes each under media/schemas/; unit tests fail when a copy is stale.
import { z } from 'zod';

export function editorJsonSchema(schema: z.ZodType): Record<string, unknown> {
  return {
    ...z.toJSONSchema(schema, { target: 'draft-7', io: 'input', unrepresentable: 'any' }),
    allowComments: true,
    allowTrailingCommas: true,
  };
}

/** The exact text of the committed file, so a test can compare bytes. */
export function editorJsonSchemaText(schema: z.ZodType): string {
  return `${JSON.stringify(editorJsonSchema(schema), null, 2)}\n`;
}
