// Each test tier hands its counts to the orchestrator (test/runAll.js) through a small JSON file whose path is in
// BNPO_TEST_RESULTS; a tier that dies before writing it counts as failed.
import * as fs from 'node:fs';
import { z } from 'zod';

/** Tier runner → orchestrator: how many tests passed, failed and were skipped. */
export const TierResult = z.object({
  passed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});
export type TierResult = z.infer<typeof TierResult>;

export const RESULTS_ENV = 'BNPO_TEST_RESULTS';

/** Writes the counts where the orchestrator asked for them (nothing when a tier runs on its own). */
export function reportTierResult(result: TierResult): void {
  const file = process.env[RESULTS_ENV];
  if (file) fs.writeFileSync(file, JSON.stringify(TierResult.parse(result)));
}

export function readTierResult(file: string): TierResult {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(
      `${file}: no readable tier result (${err instanceof Error ? err.message : String(err)})`,
      {
        cause: err,
      },
    );
  }
  const parsed = TierResult.safeParse(raw);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}
