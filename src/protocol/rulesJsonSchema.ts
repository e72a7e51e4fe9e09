// The JSON Schema VS Code uses for `*.rewards.json` (completion, hover, schema errors), generated from the one
// zod schema. `npm run schemas` writes it to media/schemas/rewards.schema.json; a unit test fails when that copy
// is stale.
import { z } from 'zod';
import { rewardRulesSchema } from './rules';

export const rulesJsonSchemaFile = 'media/schemas/rewards.schema.json';

export function rulesJsonSchema(): Record<string, unknown> {
  // io 'input': fields with defaults are optional in the file, and the defaults show in hovers
  const generated = z.toJSONSchema(rewardRulesSchema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'throw',
  });
  return {
    ...generated,
    // VS Code's JSON support honours these, so comments and trailing commas are never flagged in rule files
    allowComments: true,
    allowTrailingCommas: true,
  };
}

/** The exact text of the committed file, so the staleness test compares bytes, not just shapes. */
export function rulesJsonSchemaText(): string {
  return `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`;
}
