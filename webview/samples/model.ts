// The samples page's data, without a DOM: which steps have samples, which step is shown, and the filters
// (zero-variance groups only, largest |advantage| first, only the completions a chosen rule failed). The view
// (main.ts) turns the result into tables; the unit tier tests this file directly.
import type { SamplesRecord } from '../../src/protocol/runDir';
import type { SamplesViewState } from '../../src/protocol/samples';

export type SamplesFilters = Omit<SamplesViewState, 'runId'>;
export type SampledCompletion = SamplesRecord['completions'][number];

export const DEFAULT_FILTERS: SamplesFilters = {
  step: null,
  zeroVarianceOnly: false,
  order: 'prompt',
  failedRule: null,
};

/** The steps that have sampled groups, ascending: those of the records here and those the host listed (`known`). */
export function sampledSteps(records: readonly SamplesRecord[], known: Iterable<number> = []): number[] {
  return [...new Set([...known, ...records.map((r) => r.step)])].sort((a, b) => a - b);
}

/** Whether the page must ask the host for `step`'s groups: listed, none here, not asked for yet. */
export function needsStep(
  records: readonly SamplesRecord[],
  step: number,
  requested: ReadonlySet<number>,
): boolean {
  return !requested.has(step) && !records.some((r) => r.step === step);
}

/** The chosen step while it has samples, else the newest (undefined: no samples yet). */
export function shownStep(steps: readonly number[], chosen: number | null): number | undefined {
  if (chosen !== null && steps.includes(chosen)) return chosen;
  return steps[steps.length - 1];
}

/** Every completion of the group scored the same under every rule: no advantage, nothing learned. */
export function zeroVariance(record: SamplesRecord): boolean {
  const first = record.completions[0];
  if (!first) return true;
  return record.completions.every((c) =>
    Object.keys(first.rewards).every((rule) => c.rewards[rule] === first.rewards[rule]),
  );
}

export function maxAbsAdvantage(record: SamplesRecord): number {
  return record.completions.reduce((m, c) => Math.max(m, Math.abs(c.advantage)), 0);
}

export interface ShownGroup {
  record: SamplesRecord;
  /** The completions the filters keep (never empty: a group left with none is not shown). */
  completions: SampledCompletion[];
}

export interface ShownSamples {
  /** Groups sampled at the step, before filtering. */
  total: number;
  groups: ShownGroup[];
  completions: number;
}

/** The groups of one step the filters keep, in the chosen order. */
export function filterSamples(
  records: readonly SamplesRecord[],
  step: number,
  filters: SamplesFilters,
): ShownSamples {
  let groups = records.filter((r) => r.step === step);
  const total = groups.length;
  if (filters.zeroVarianceOnly) groups = groups.filter(zeroVariance);
  if (filters.order === 'advantage')
    groups = [...groups].sort((a, b) => maxAbsAdvantage(b) - maxAbsAdvantage(a));
  const failed = filters.failedRule;
  const shown: ShownGroup[] = [];
  let completions = 0;
  for (const record of groups) {
    const kept =
      failed === null || failed === ''
        ? record.completions
        : record.completions.filter((c) => c.rewards[failed] === 0);
    if (kept.length === 0) continue;
    completions += kept.length;
    shown.push({ record, completions: kept });
  }
  return { total, groups: shown, completions };
}
