// The reward-rule file (`*.rewards.json`, JSON with comments): the one schema from which runtime validation
// (checkRulesText, the trainer's loader) and the JSON Schema shipped in media/schemas/ are both generated
// (`npm run schemas`). Defaults live here so the editor shows them and the engine never guesses.
import { z } from 'zod';

/** Rule names are referenced by combinators and appear as metric keys, so they stay identifier-like. */
export const ruleNamePattern = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const ruleName = z.string().regex(ruleNamePattern).meta({
  markdownDescription:
    'Unique name of the rule: the reward component key in metrics and the name combinators refer to. Letters, digits, `_`, `.`, `-`; starts with a letter or `_`.',
  patternErrorMessage: 'A rule name uses letters, digits, _ . - and starts with a letter or _.',
});

const regexSource = z.string().min(1).meta({
  markdownDescription:
    'A regular expression in [RE2 syntax](https://github.com/google/re2/wiki/Syntax) (linear time: no backreferences, no lookaround). Remember to double backslashes in JSON: `"\\\\d+"`.',
});

const regexFlags = z
  .string()
  .regex(/^[ims]*$/)
  .default('')
  .meta({
    markdownDescription:
      'Regex flags: `i` ignore case, `m` `^`/`$` match at line breaks, `s` `.` matches newlines.',
  });

const sampleField = z.string().min(1).meta({
  markdownDescription:
    "Name of a field of the dataset sample (e.g. `answer`). The sample's value is what the extracted answer is compared with.",
});

const common = {
  name: ruleName,
  description: z.string().optional().meta({ markdownDescription: 'What this rule checks, for people.' }),
  weight: z.number().min(0).default(1).meta({
    markdownDescription:
      'Weight of this rule in the plain-sum reward and in displays. BNPO itself treats every rule as its own binary reward component, so the weight does not change its advantages.',
  }),
  reward: z.boolean().default(true).meta({
    markdownDescription:
      'Whether this rule is a reward component. Set `false` for helper rules that exist only to be combined by `all`/`any`/`not`: they are evaluated, shown in tests, but not rewarded.',
  }),
};

export const extractorSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({ type: z.literal('lastNumber') })
      .meta({ markdownDescription: 'The last number in the completion (`-3`, `1,234.5`, `2e-3`, `3/4`).' }),
    z.strictObject({ type: z.literal('boxed') }).meta({
      markdownDescription:
        'The content of the last `\\boxed{…}` in the completion (nested braces allowed), e.g. `\\boxed{\\frac{1}{2}}` → `\\frac{1}{2}`.',
    }),
    z
      .strictObject({
        type: z.literal('tag'),
        tag: z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_-]*$/)
          .default('answer')
          .meta({ markdownDescription: 'Tag name without brackets: `answer` reads `<answer>…</answer>`.' }),
      })
      .meta({ markdownDescription: 'The content of the last `<tag>…</tag>` pair in the completion.' }),
    z
      .strictObject({
        type: z.literal('regex'),
        pattern: regexSource,
        flags: regexFlags,
        group: z
          .union([z.number().int().min(0), z.string().min(1)])
          .default(1)
          .meta({
            markdownDescription: 'Capture group to extract: a number (0 = whole match) or a group name.',
          }),
      })
      .meta({ markdownDescription: 'A capture group of the last match of a regular expression.' }),
  ])
  .meta({ markdownDescription: 'How to pull the answer out of the completion.' });

export const normalizeSchema = z
  .strictObject({
    trim: z.boolean().default(true).meta({ markdownDescription: 'Remove leading and trailing whitespace.' }),
    caseInsensitive: z
      .boolean()
      .default(false)
      .meta({ markdownDescription: 'Compare ignoring letter case.' }),
    collapseWhitespace: z
      .boolean()
      .default(true)
      .meta({ markdownDescription: 'Turn every run of whitespace into one space.' }),
    stripTrailingPeriod: z
      .boolean()
      .default(true)
      .meta({ markdownDescription: 'Drop one trailing `.` (answers often end a sentence).' }),
    thousandsSeparators: z.boolean().default(true).meta({
      markdownDescription:
        'Remove `,` between digit groups (`1,234` → `1234`) before comparing numbers and text.',
    }),
    stripDollar: z
      .boolean()
      .default(true)
      .meta({ markdownDescription: 'Remove `$` signs (currency and inline-math delimiters).' }),
  })
  .meta({
    markdownDescription:
      'How both the extracted answer and the expected value are normalised before comparing.',
  });

export const answerRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('answer'),
    extract: extractorSchema,
    field: sampleField.default('answer'),
    compare: z.enum(['exact', 'numeric', 'oneOf']).default('exact').meta({
      markdownDescription:
        '`exact`: equal after normalisation. `numeric`: both parse as numbers and differ by at most the tolerance. `oneOf`: equal to any of the expected values (the sample field may hold an array).',
    }),
    tolerance: z.number().min(0).default(1e-6).meta({
      markdownDescription: 'For `numeric`: the largest absolute difference that still counts as equal.',
    }),
    relativeTolerance: z.number().min(0).default(0).meta({
      markdownDescription: 'For `numeric`: also equal when |a − b| ≤ relativeTolerance × |expected|.',
    }),
    normalize: normalizeSchema.default({
      trim: true,
      caseInsensitive: false,
      collapseWhitespace: true,
      stripTrailingPeriod: true,
      thousandsSeparators: true,
      stripDollar: true,
    }),
  })
  .meta({ markdownDescription: 'Extract an answer from the completion and compare it with a sample field.' });

export const formatRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('format'),
    tags: z
      .array(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/))
      .optional()
      .meta({
        markdownDescription: 'Tags that must be present as `<tag>…</tag>` pairs, e.g. `["think", "answer"]`.',
      }),
    order: z.boolean().default(true).meta({
      markdownDescription: 'The tags must appear in the listed order (each closes before the next opens).',
    }),
    exactlyOnce: z
      .boolean()
      .default(true)
      .meta({ markdownDescription: 'Each tag must open and close exactly once.' }),
    allowTextOutside: z.boolean().default(true).meta({
      markdownDescription:
        'Whether non-whitespace text may appear before, between or after the tags. `false` is the strict R1 format.',
    }),
    pattern: regexSource.optional().meta({
      markdownDescription:
        'A regular expression (RE2 syntax) that must match the **whole** completion. Checked in addition to `tags`.',
    }),
    flags: regexFlags,
  })
  .meta({
    markdownDescription:
      'The completion has a required structure: tags in order, each exactly once, or a full-match regex.',
  });

export const regexRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('regex'),
    pattern: regexSource,
    flags: regexFlags,
    mode: z.enum(['mustMatch', 'mustNotMatch']).default('mustMatch').meta({
      markdownDescription:
        '`mustMatch`: rewarded when the pattern is found. `mustNotMatch`: rewarded when it is not.',
    }),
  })
  .meta({
    markdownDescription: 'The completion must (or must not) contain a match of a regular expression.',
  });

export const lengthRuleSchema = z
  .strictObject({
    ...common,
    kind: z.literal('length'),
    unit: z.enum(['chars', 'tokens']).default('chars').meta({
      markdownDescription:
        '`chars`: Unicode code points. `tokens`: whitespace-separated words (maximal runs of non-whitespace), not model tokens, so the rule means the same for every model.',
    }),
    min: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ markdownDescription: 'Smallest allowed length (inclusive).' }),
    max: z
      .number()
      .int()
      .min(0)
      .optional()
      .meta({ markdownDescription: 'Largest allowed length (inclusive).' }),
  })
  .meta({ markdownDescription: 'The completion length is within bounds.' });

const ruleRef = z.string().min(1).meta({ markdownDescription: 'Name of another rule in this file.' });

export const allRuleSchema = z
  .strictObject({ ...common, kind: z.literal('all'), rules: z.array(ruleRef).min(1) })
  .meta({ markdownDescription: 'Passes when every named rule passes.' });
export const anyRuleSchema = z
  .strictObject({ ...common, kind: z.literal('any'), rules: z.array(ruleRef).min(1) })
  .meta({ markdownDescription: 'Passes when at least one named rule passes.' });
export const notRuleSchema = z
  .strictObject({ ...common, kind: z.literal('not'), rule: ruleRef })
  .meta({ markdownDescription: 'Passes when the named rule fails.' });

export const ruleSchema = z.discriminatedUnion('kind', [
  answerRuleSchema,
  formatRuleSchema,
  regexRuleSchema,
  lengthRuleSchema,
  allRuleSchema,
  anyRuleSchema,
  notRuleSchema,
]);

export const rewardRulesSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional().meta({ markdownDescription: 'What these rules reward, for people.' }),
    rules: z.array(ruleSchema).meta({
      markdownDescription:
        'The rules, in order. Each rule turns one completion (plus its sample) into 0 or 1; each rule with `reward: true` is one binary reward component.',
    }),
  })
  .meta({
    title: 'BNPO reward rules',
    markdownDescription: 'Reward rules for BNPO Studio: each rule scores a completion 0 or 1.',
  });

/** A parsed rule file with every default filled in. */
export type RewardRules = z.output<typeof rewardRulesSchema>;
/** What a rule file (or code building one) may leave out; compileRuleFile (check.ts) accepts this and fills defaults. */
export type RewardRulesInput = z.input<typeof rewardRulesSchema>;
export type Rule = z.output<typeof ruleSchema>;
export type RuleKind = Rule['kind'];
export type AnswerRule = z.output<typeof answerRuleSchema>;
export type FormatRule = z.output<typeof formatRuleSchema>;
export type RegexRule = z.output<typeof regexRuleSchema>;
export type LengthRule = z.output<typeof lengthRuleSchema>;
export type Extractor = z.output<typeof extractorSchema>;
export type ExtractorType = Extractor['type'];
export type Normalize = z.output<typeof normalizeSchema>;

export const ruleKinds: readonly RuleKind[] = ['answer', 'format', 'regex', 'length', 'all', 'any', 'not'];
export const extractorTypes: readonly ExtractorType[] = ['lastNumber', 'boxed', 'tag', 'regex'];

/** The file-name suffix the editor associates with the schema. */
export const rulesFileSuffix = '.rewards.json';
