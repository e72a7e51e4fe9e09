import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  rulesJsonSchema,
  RULES_JSON_SCHEMA_FILE,
  rulesJsonSchemaText,
} from '../../src/core/rules/jsonSchema';
import { rewardRulesSchema, ruleKinds } from '../../src/core/rules/schema';

const root = join(__dirname, '..', '..', '..');

describe('rules JSON Schema', () => {
  it('the committed media/schemas/rewards.schema.json matches the zod schema (run `npm run schemas` if not)', () => {
    const committed = readFileSync(join(root, RULES_JSON_SCHEMA_FILE), 'utf8');
    assert.equal(
      committed,
      rulesJsonSchemaText(),
      `${RULES_JSON_SCHEMA_FILE} is stale: run \`npm run schemas\``,
    );
  });

  it('offers every rule kind, allows comments, and keeps defaults optional', () => {
    const text = JSON.stringify(rulesJsonSchema());
    for (const kind of ruleKinds) assert.ok(text.includes(`"const":"${kind}"`), `kind ${kind} missing`);
    const schema = rulesJsonSchema();
    // every kind is offered up front (enum), each branch applies once its kind is set (if/then)
    const items = (
      schema.properties as {
        rules: { items: { properties: { kind: { enum: string[] } }; allOf: unknown[] } };
      }
    ).rules.items;
    assert.deepEqual(items.properties.kind.enum, ruleKinds);
    assert.equal(items.allOf.length, ruleKinds.length);
    assert.ok(!text.includes('"oneOf":'), 'discriminated unions become if/then, never oneOf');
    assert.equal(schema.allowComments, true);
    assert.deepEqual(schema.required, ['rules']);
  });

  it('fills defaults when parsing', () => {
    const parsed = rewardRulesSchema.parse({
      rules: [{ name: 'acc', kind: 'answer', extract: { type: 'tag' } }],
    });
    const rule = parsed.rules[0];
    assert.ok(rule?.kind === 'answer');
    assert.equal(rule.field, 'answer');
    assert.equal(rule.compare, 'exact');
    assert.equal(rule.weight, 1);
    assert.equal(rule.reward, true);
    assert.deepEqual(rule.extract, { type: 'tag', tag: 'answer' });
    assert.equal(rule.normalize.trim, true);
  });
});
