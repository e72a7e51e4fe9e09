// The samples page's data, without a DOM: which steps have samples, which step is shown, and the filters
// (zero-variance groups only, largest |advantage| first, only the completions a chosen rule failed); and the
// completions table across steps (text search in prompts and completions, rule result, advantage sign, flags,
// sort), with long completions cut to a preview. The view (main.ts) turns the result into tables; the unit
// tier tests this file directly.
import type { CompletionQuery, SampleGroup, SamplesViewState } from '../../src/protocol/samples';

/** A sampled group as the page holds it (samples.jsonl's record, with the optional flags). */
export type SamplesRecord = SampleGroup;
export type SamplesFilters = Omit<SamplesViewState, 'runId'>;
export type SampledCompletion = SamplesRecord['completions'][number];

export const DEFAULT_QUERY: CompletionQuery = {
  text: '',
  ruleResult: null,
  advantage: 'any',
  flag: null,
  sort: 'step',
  descending: false,
};

export const DEFAULT_FILTERS: SamplesFilters = {
  step: null,
  zeroVarianceOnly: false,
  order: 'prompt',
  failedRule: null,
  view: 'step',
  query: DEFAULT_QUERY,
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
  filters: Pick<SamplesFilters, 'zeroVarianceOnly' | 'order' | 'failedRule'>,
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

/** One completion of the table: where it was sampled, and its flags from the group and from itself. */
export interface CompletionRow {
  step: number;
  promptId: string;
  prompt: string;
  /** Its place in the group (0-based), a stable tie-break. */
  index: number;
  completion: SampledCompletion;
  flags: string[];
}

/** The filters that show every completion the audit flagged: the table view, any flag, the other filters cleared. */
export function flaggedView(filters: SamplesFilters): SamplesFilters {
  return { ...filters, view: 'table', query: { ...DEFAULT_QUERY, sort: filters.query.sort, flag: '*' } };
}

/** The flag an audit's boolean `flagged` / `audit` field stands for. */
export const AUDIT_FLAG = 'audit';

/** A completion's flags: the names in `flags` and the booleans `flagged`/`audit`, of its group and of itself. */
export function flagsOf(record: SamplesRecord, completion: SampledCompletion): string[] {
  const flags = new Set<string>();
  for (const source of [record, completion]) {
    for (const flag of source.flags ?? []) flags.add(flag);
    if (source.flagged === true || source.audit === true) flags.add(AUDIT_FLAG);
  }
  return [...flags].sort();
}

/** Every completion of every step, in the order sampled. */
export function completionRows(records: readonly SamplesRecord[]): CompletionRow[] {
  return records.flatMap((record) =>
    record.completions.map((completion, index) => ({
      step: record.step,
      promptId: record.promptId,
      prompt: record.prompt,
      index,
      completion,
      flags: flagsOf(record, completion),
    })),
  );
}

/** Every flag some completion carries, for the filter's choices. */
export function knownFlags(rows: readonly CompletionRow[]): string[] {
  return [...new Set(rows.flatMap((r) => r.flags))].sort();
}

/** `<rule>:<0|1>` as the rule-result filter stores it; undefined when malformed. */
export function parseRuleResult(value: string | null): { rule: string; reward: 0 | 1 } | undefined {
  if (value === null) return undefined;
  const at = value.lastIndexOf(':');
  const reward = value.slice(at + 1);
  if (at <= 0 || (reward !== '0' && reward !== '1')) return undefined;
  return { rule: value.slice(0, at), reward: reward === '1' ? 1 : 0 };
}

function matches(row: CompletionRow, query: CompletionQuery, needle: string): boolean {
  const { completion } = row;
  if (
    needle !== '' &&
    !row.prompt.toLowerCase().includes(needle) &&
    !completion.text.toLowerCase().includes(needle)
  )
    return false;
  const result = parseRuleResult(query.ruleResult);
  if (result && completion.rewards[result.rule] !== result.reward) return false;
  const a = completion.advantage;
  if (query.advantage === 'positive' && !(a > 0)) return false;
  if (query.advantage === 'negative' && !(a < 0)) return false;
  if (query.advantage === 'zero' && a !== 0) return false;
  if (query.flag === '*' && row.flags.length === 0) return false;
  if (query.flag !== null && query.flag !== '*' && !row.flags.includes(query.flag)) return false;
  return true;
}

const SORT_VALUE: Record<CompletionQuery['sort'], (row: CompletionRow) => number> = {
  step: (r) => r.step,
  advantage: (r) => r.completion.advantage,
  tokens: (r) => r.completion.tokens,
  length: (r) => r.completion.text.length,
};

/** The rows the query keeps, sorted (ties stay in sampled order). Text search ignores case. */
export function queryCompletions(rows: readonly CompletionRow[], query: CompletionQuery): CompletionRow[] {
  const needle = query.text.trim().toLowerCase();
  const value = SORT_VALUE[query.sort];
  const sign = query.descending ? -1 : 1;
  return rows
    .map((row, order) => ({ row, order }))
    .filter(({ row }) => matches(row, query, needle))
    .sort((x, y) => sign * (value(x.row) - value(y.row)) || x.order - y.order)
    .map(({ row }) => row);
}

/** Whether any filter is set (the "Clear filters" button is offered then). */
export function filtersActive(query: CompletionQuery): boolean {
  return (
    query.text.trim() !== '' || query.ruleResult !== null || query.advantage !== 'any' || query.flag !== null
  );
}

/** Completions longer than this show a preview with "Show all". */
export const LONG_COMPLETION_CHARS = 600;

/** A long text cut at a line or word break near the limit; `hidden` is how many characters the preview leaves out. */
export function preview(text: string, limit = LONG_COMPLETION_CHARS): { shown: string; hidden: number } {
  if (text.length <= limit) return { shown: text, hidden: 0 };
  const window = text.slice(0, limit);
  const cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '));
  const shown = cut > limit * 0.6 ? window.slice(0, cut) : window;
  return { shown, hidden: text.length - shown.length };
}

/** "20.5k characters", "830 characters": how much a collapsed completion holds. */
export function sizeLabel(chars: number): string {
  return chars < 1000 ? `${chars} characters` : `${(chars / 1000).toFixed(1)}k characters`;
}
