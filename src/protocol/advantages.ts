// The JSON contract of `bnpo advantages` (stdin or --input file → stdout). Keep it stable: scripts and
// external engines pipe through it.
import { z } from 'zod';
import { ESTIMATOR_NAMES } from '../core/estimators';

/** One completion's reward: a number (single rule, named `reward`) or an object of rule name → reward. */
export const completionRewardSchema = z.union([z.number(), z.record(z.string(), z.number())], {
  error: 'expected a reward number or an object mapping rule names to reward numbers',
});

/** Input read by `bnpo advantages`: one reward list per prompt group, optionally the completions' token counts. */
export const advantagesInputSchema = z.object(
  {
    groups: z.array(
      z.array(completionRewardSchema, { error: 'expected a list of rewards (one prompt group)' }),
      {
        error: (issue) =>
          issue.input === undefined
            ? 'missing "groups" (a list of prompt groups)'
            : '"groups" must be a list of prompt groups',
      },
    ),
    // Same shape as groups: lengths[i][j] tokens in completion j of group i (default 1 each). Only REINFORCE++,
    // which whitens per token, reads it; the output keeps one advantage per completion.
    lengths: z
      .array(
        z.array(
          z
            .number({ error: 'expected a token count (an integer ≥ 1)' })
            .int('expected a token count (an integer ≥ 1)')
            .min(1, 'expected a token count (an integer ≥ 1)'),
          { error: 'expected a list of token counts (one prompt group)' },
        ),
        { error: '"lengths" must be a list of token-count lists, the shape of "groups"' },
      )
      .optional(),
  },
  { error: 'expected a JSON object like {"groups": [[1,0],[0,1]]}' },
);
export type AdvantagesInput = z.infer<typeof advantagesInputSchema>;

/** Per-rule statistics of one call; a and b are null when a guard replaced the fit. */
export const advantagesRuleStatsSchema = z.strictObject({
  pHat: z.array(z.number()),
  mean: z.number(),
  var: z.number(),
  a: z.number().nullable(),
  b: z.number().nullable(),
  alpha: z.number(),
  beta: z.number(),
  guard: z.string().nullable(),
});
export type AdvantagesRuleStats = z.infer<typeof advantagesRuleStatsSchema>;

/** Output written by `bnpo advantages`: advantages[i][j] for completion j of group i, stats per rule. */
export const advantagesOutputSchema = z.strictObject({
  estimator: z.enum(ESTIMATOR_NAMES),
  advantages: z.array(z.array(z.number())),
  stats: z.record(z.string(), advantagesRuleStatsSchema),
});
export type AdvantagesOutput = z.infer<typeof advantagesOutputSchema>;

/** The rule name given to plain numeric rewards. */
export const SINGLE_RULE_NAME = 'reward';
