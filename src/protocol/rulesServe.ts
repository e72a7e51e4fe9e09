// `bnpo rules serve --rules FILE`: a long-lived scorer for other training engines (e.g. a verl reward plug-in).
// JSON lines both ways: the caller writes requests on the server's stdin; the server writes one line on stdout
// per request, in request order, after a first `ready` line.
import { z } from 'zod';

const sample = z.record(z.string(), z.unknown());

/** Server → caller, once at start: the reward components it will score, in order. */
export const RulesServeReadySchema = z.object({
  type: z.literal('ready'),
  rules: z.array(z.string()).describe('Reward-rule names (components), in file order.'),
  weights: z.record(z.string(), z.number()),
  rulesFile: z.string(),
});
export type RulesServeReady = z.infer<typeof RulesServeReadySchema>;

/** Caller → server: score a batch of completions, each with the dataset sample it answers. */
export const RulesServeRequestSchema = z.object({
  id: z.union([z.string(), z.number()]),
  items: z.array(z.object({ completion: z.string(), sample: sample.default({}) })),
});
export type RulesServeRequest = z.infer<typeof RulesServeRequestSchema>;

export const RulesServeResultSchema = z.object({
  rewards: z.record(z.string(), z.union([z.literal(0), z.literal(1)])),
  reasons: z.record(z.string(), z.string()),
  /** rules that threw on this item (they scored 0) */
  errors: z.record(z.string(), z.string()).optional(),
  /** weighted sum of the rewards (plain-sum mode) */
  total: z.number(),
});
export type RulesServeResult = z.infer<typeof RulesServeResultSchema>;

/** Server → caller: the results of one request, parallel to its items. */
export const RulesServeResponseSchema = z.object({
  type: z.literal('result'),
  id: z.union([z.string(), z.number()]),
  results: z.array(RulesServeResultSchema),
});
export type RulesServeResponse = z.infer<typeof RulesServeResponseSchema>;

/** Server → caller: a request line that was not JSON or not a request; id is null when it could not be read. */
export const RulesServeErrorSchema = z.object({
  type: z.literal('error'),
  id: z.union([z.string(), z.number(), z.null()]),
  error: z.string(),
});
export type RulesServeError = z.infer<typeof RulesServeErrorSchema>;
