// audit.jsonl: one record per RL step, the run audit's figures (defined in src/core/rules/auditRun.ts), written by
// the built-in trainer and by the verl/TRL sinks; read by the host (dashboard's Audit section, threshold
// notifications). Optional: a run without the file simply has no audit.
import { z } from 'zod';
import { RUN_DIR_VERSION } from './runDir';

const share = () => z.number().min(0).max(1);

export const AuditRecordSchema = z.object({
  v: z.literal(RUN_DIR_VERSION),
  step: z.number().int().positive(),
  completions: z.number().int().nonnegative(),
  length: z.object({
    mean: z.number().describe('Mean completion length in tokens.'),
    p95: z.number().describe('95th percentile (nearest rank) of completion lengths in tokens.'),
    atCap: share().describe(
      'Share of completions truncated at the generation cap (no end token; engines that do not say: length ≥ cap).',
    ),
    meanDrift: z.number().nullable().describe('Mean length over the mean length of the first audited step.'),
    p95Drift: z.number().nullable().describe('p95 length over the p95 of the first audited step.'),
  }),
  duplicateShare: share().describe('Share of completions identical to an earlier one of their prompt group.'),
  duplicateFailingShare: share()
    .optional()
    .describe(
      'Share of completions identical to an earlier one of their group that fail the accuracy rule (absent in older records).',
    ),
  repeatRate: share().describe(
    'Mean word-trigram repeat rate (1 − distinct/all trigrams) of the completions.',
  ),
  passRates: z.record(z.string(), z.number()).describe('Pass rate of each reward rule this step.'),
  formatNotAccuracy: share()
    .nullable()
    .describe(
      'Share of completions passing the format rule but failing the accuracy rule (null without both).',
    ),
  formatNotAccuracyRise: z
    .number()
    .nullable()
    .optional()
    .describe('formatNotAccuracy minus its value at the first audited step (absent in older records).'),
  opposed: z
    .array(z.object({ a: z.string(), b: z.string(), deltaA: z.number(), deltaB: z.number() }))
    .describe('Rule pairs whose pass rates moved in opposite directions since the first audited step.'),
  multipleCandidates: z
    .record(z.string(), share())
    .describe(
      'Per answer rule, the share of completions where its extractor found several distinct answers.',
    ),
  flagged: z.number().int().nonnegative().describe('Completions flagged this step.'),
});
export type AuditRecord = z.infer<typeof AuditRecordSchema>;

/**
 * The run audit's checks as the studio shows them: each is one number per step (the dashboard's `audit.<key>`
 * series) with a threshold the user sets (`bnpo.audit.thresholds`); crossing it (value > threshold) during a live
 * run raises a notification.
 */
export const AUDIT_CHECKS = [
  { key: 'lengthDrift', label: 'mean length / start', share: false, threshold: 1.5 },
  { key: 'atCap', label: 'share at the length cap', share: true, threshold: 0.2 },
  { key: 'duplicates', label: 'duplicates failing accuracy', share: true, threshold: 0.5 },
  { key: 'repeats', label: 'trigram repeat rate', share: true, threshold: 0.3 },
  {
    key: 'formatNotAccuracyRise',
    label: 'rise of format passed, accuracy failed',
    share: false,
    threshold: 0.4,
  },
  { key: 'multipleCandidates', label: 'several candidate answers', share: true, threshold: 0.3 },
  { key: 'opposedPairs', label: 'rule pairs moving apart', share: false, threshold: 0 },
] as const;
export type AuditCheckKey = (typeof AUDIT_CHECKS)[number]['key'];
export const AUDIT_SERIES_PREFIX = 'audit.';
/** The threshold of check `k` rides beside it as the series `audit.<k>.threshold` (constant, drawn as a line). */
export const AUDIT_THRESHOLD_SUFFIX = '.threshold';
export type AuditThresholds = Record<AuditCheckKey, number>;
export const DEFAULT_AUDIT_THRESHOLDS = Object.fromEntries(
  AUDIT_CHECKS.map((c) => [c.key, c.threshold]),
) as AuditThresholds;

/** The value of each check in one record (null where the record has none). */
export function auditCheckValues(r: AuditRecord): Record<AuditCheckKey, number | null> {
  const candidates = Object.values(r.multipleCandidates);
  return {
    lengthDrift: r.length.meanDrift,
    atCap: r.length.atCap,
    duplicates: r.duplicateFailingShare ?? r.duplicateShare,
    repeats: r.repeatRate,
    formatNotAccuracyRise: r.formatNotAccuracyRise ?? null,
    multipleCandidates: candidates.length > 0 ? Math.max(...candidates) : null,
    opposedPairs: r.opposed.length,
  };
}
