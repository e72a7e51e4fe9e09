// The JSON Schema VS Code uses for `*.rewards.json` (completion, hover, schema errors), generated from the one
// zod schema. `npm run schemas` writes it to media/schemas/rewards.schema.json; a unit test fails when that copy
// is stale.
import { z } from 'zod';
import { rewardRulesSchema } from './schema';

export const RULES_JSON_SCHEMA_FILE = 'media/schemas/rewards.schema.json';

type Json = Record<string, unknown>;

function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The discriminator `key` of a oneOf, when every branch fixes it with a `const`. */
function discriminator(branches: unknown[], key: string): string[] | undefined {
  const values: string[] = [];
  for (const b of branches) {
    const props = isJson(b) ? b.properties : undefined;
    const field = isJson(props) ? props[key] : undefined;
    const value = isJson(field) ? field.const : undefined;
    if (typeof value !== 'string') return undefined;
    values.push(value);
  }
  return values;
}

/**
 * zod writes a discriminated union as `oneOf`. VS Code's JSON support then offers completions only from the
 * branches that match best so far, so typing `"kind": ""` in a fresh rule lists just the kinds with no required
 * fields. As `if kind = X then branch X` (plus an enum of every kind) all kinds are offered, and once the kind
 * is set the right branch gives completion, hovers and errors. What validates is unchanged.
 */
function discriminate(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(discriminate);
  if (!isJson(node)) return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([k, v]) => [k, discriminate(v)]));
  const branches: unknown = out.oneOf;
  if (!Array.isArray(branches)) return out;
  for (const key of ['kind', 'type']) {
    const values = discriminator(branches, key);
    if (values === undefined) continue;
    const docs = branches.map((b) =>
      isJson(b) && typeof b.markdownDescription === 'string' ? b.markdownDescription : '',
    );
    const { oneOf: _replaced, ...rest } = out;
    return {
      ...rest,
      type: 'object',
      properties: { [key]: { enum: values, markdownEnumDescriptions: docs } },
      required: [key],
      allOf: branches.map((branch: unknown, i) => ({
        if: { properties: { [key]: { const: values[i] } }, required: [key] },
        then: branch,
      })),
    };
  }
  return out;
}

export function rulesJsonSchema(): Record<string, unknown> {
  // io 'input': fields with defaults are optional in the file, and the defaults show in hovers
  const generated = z.toJSONSchema(rewardRulesSchema, {
    target: 'draft-7',
    io: 'input',
    unrepresentable: 'throw',
  });
  return {
    ...(discriminate(generated) as Json),
    // VS Code's JSON support honours these, so comments and trailing commas are never flagged in rule files
    allowComments: true,
    allowTrailingCommas: true,
  };
}

/** The exact text of the committed file, so the staleness test compares bytes, not just shapes. */
export function rulesJsonSchemaText(): string {
  return `${JSON.stringify(rulesJsonSchema(), null, 2)}\n`;
}
