// The audit during a run: per step, the signs of a policy gaming its rules, from the step's completions and their
// per-rule rewards. The one definition of each figure: the built-in trainer calls it, and the verl/TRL sinks run its
// Python port (engines/verl/bnpo_verl/audit.py, cross-checked on the same batch by the python tier).
//
//   length      mean and p95 completion length (tokens), their ratio to the first audited step, the share truncated
//               at the cap (ended there without an end token)
//   duplicates  share of completions identical (after trimming) to an earlier one of their group, and the share of
//               those that also fail the accuracy rule (a run converging on right answers repeats itself too)
//   repetition  mean over completions of the word-trigram repeat rate (1 − distinct / all trigrams)
//   rules       pass rate per rule; pairs whose pass rates moved in opposite directions since the first step (each
//               by at least OPPOSED_MIN); the share passing the format rule but failing the accuracy rule, and its
//               rise since the first step (a run still learning accuracy starts high and falls; one gaming the format
//               rule rises)
//   candidates  per answer rule, the share of completions where its extractor found two or more distinct answers
//
// Flags mark single completions: duplicate, atCap, repetitive, multipleCandidates (rewarded by a rule whose
// extractor saw several distinct answers).
import { allBoxed, allNumbers, allTags } from './extract';
import { compileRegex } from './regex';
import type { Extractor, RewardRules } from './schema';

export const OPPOSED_MIN = 0.1;
export const REPETITIVE_AT = 0.5;
export const NGRAM = 3;
export const AUDIT_FLAGS = ['duplicate', 'atCap', 'repetitive', 'multipleCandidates'] as const;
export type AuditFlag = (typeof AUDIT_FLAGS)[number];

/** One completion as the audit sees it. */
export interface AuditItem {
  readonly text: string;
  /** completion length in model tokens */
  readonly tokens: number;
  /** it reached the cap without an end token; when not known, a completion of `cap` tokens or more counts */
  readonly truncated?: boolean;
  /** index of its prompt group */
  readonly group: number;
  /** reward (0 or 1) per rule */
  readonly rewards: Readonly<Record<string, number>>;
}

export interface AuditSetup {
  /** the generation cap in tokens */
  readonly cap: number;
  /** the reward rules, in file order */
  readonly rules: readonly string[];
  readonly formatRule: string | null;
  readonly accuracyRule: string | null;
  /** the extractor of each answer rule */
  readonly extractors: Readonly<Record<string, Extractor>>;
}

export interface OpposedPair {
  a: string;
  b: string;
  deltaA: number;
  deltaB: number;
}

/** One step's audit figures (the audit.jsonl record, less `v`). */
export interface StepAudit {
  step: number;
  completions: number;
  length: { mean: number; p95: number; atCap: number; meanDrift: number | null; p95Drift: number | null };
  duplicateShare: number;
  duplicateFailingShare: number;
  repeatRate: number;
  passRates: Record<string, number>;
  formatNotAccuracy: number | null;
  formatNotAccuracyRise: number | null;
  opposed: OpposedPair[];
  multipleCandidates: Record<string, number>;
  flagged: number;
}

/** Which rules play format and accuracy, and each answer rule's extractor (reward rules only). */
export function auditSetup(rules: RewardRules, cap: number, accuracyRule: string | null): AuditSetup {
  const rewarded = rules.rules.filter((r) => r.reward);
  const format = rewarded.find((r) => r.name === 'format') ?? rewarded.find((r) => r.kind === 'format');
  const extractors: Record<string, Extractor> = {};
  for (const r of rewarded) if (r.kind === 'answer') extractors[r.name] = r.extract;
  return {
    cap,
    rules: rewarded.map((r) => r.name),
    formatRule: format?.name ?? null,
    accuracyRule: accuracyRule ?? rewarded.find((r) => r.kind === 'answer')?.name ?? null,
    extractors,
  };
}

/** A finder of every answer an extractor could have taken from a text (it takes the last); compiles once. */
export function candidateFinder(extractor: Extractor): (text: string) => string[] {
  switch (extractor.type) {
    case 'lastNumber':
      return allNumbers;
    case 'boxed':
      return allBoxed;
    case 'tag':
      return (text) => allTags(text, extractor.tag);
    case 'regex': {
      const c = compileRegex(extractor.pattern, extractor.flags);
      if (!c.ok) return () => [];
      return (text) => {
        const m = c.re.matcher(text);
        const found: string[] = [];
        while (m.find()) {
          const g = m.group(extractor.group);
          if (g !== null) found.push(g);
        }
        return found;
      };
    }
  }
}

/** Word ids below this bound let an n-gram of up to three words be one exact number (3 × 17 bits < 2^53). */
const PACKED_IDS = 1 << 17;

/** 1 − distinct / all word n-grams of the text (0 when it has none). */
export function repeatRate(text: string, n = NGRAM): number {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const count = words.length - n + 1;
  if (count <= 0) return 0;
  // Words become small integers, and an n-gram of them one number: no string per n-gram (the audit's hot loop).
  const idOf = new Map<string, number>();
  const ids = words.map((w) => {
    let id = idOf.get(w);
    if (id === undefined) idOf.set(w, (id = idOf.size));
    return id;
  });
  const seen = new Set<number | string>();
  const packed = n <= 3 && idOf.size <= PACKED_IDS;
  for (let i = 0; i < count; i++) {
    if (!packed) {
      seen.add(ids.slice(i, i + n).join(','));
      continue;
    }
    let key = 0;
    for (let k = 0; k < n; k++) key = key * PACKED_IDS + ids[i + k]!;
    seen.add(key);
  }
  return 1 - seen.size / count;
}

/** Nearest-rank percentile of the values (0 for none). */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? 0;
}

const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? 0 : xs.reduce((s, x) => s + x, 0) / xs.length;

/** Rule pairs whose pass rates moved in opposite directions since the start, each by at least OPPOSED_MIN. */
export function opposedPairs(
  rules: readonly string[],
  now: Readonly<Record<string, number>>,
  start: Readonly<Record<string, number>>,
): OpposedPair[] {
  const pairs: OpposedPair[] = [];
  const delta = (r: string): number => (now[r] ?? 0) - (start[r] ?? 0);
  for (let i = 0; i < rules.length; i++) {
    for (let j = i + 1; j < rules.length; j++) {
      const a = rules[i]!;
      const b = rules[j]!;
      const da = delta(a);
      const db = delta(b);
      if (da * db < 0 && Math.abs(da) >= OPPOSED_MIN && Math.abs(db) >= OPPOSED_MIN)
        pairs.push({ a, b, deltaA: da, deltaB: db });
    }
  }
  return pairs;
}

/**
 * The share of items whose text repeats an earlier one of their group, and of those failing `accuracyRule` (all of
 * them without one); marks the repeats.
 */
function duplicates(
  items: readonly AuditItem[],
  accuracyRule: string | null,
  flags: AuditFlag[][],
): { all: number; failing: number } {
  const seen = new Map<number, Set<string>>();
  let n = 0;
  let failing = 0;
  items.forEach((item, i) => {
    const group = seen.get(item.group) ?? new Set<string>();
    seen.set(item.group, group);
    const key = item.text.trim();
    if (group.has(key)) {
      n++;
      if (accuracyRule === null || item.rewards[accuracyRule] !== 1) failing++;
      flags[i]!.push('duplicate');
    } else group.add(key);
  });
  const share = (k: number): number => (items.length === 0 ? 0 : k / items.length);
  return { all: share(n), failing: share(failing) };
}

/** Per answer rule, the share of items with several distinct candidates; marks those the rule rewarded. */
function multipleCandidates(
  items: readonly AuditItem[],
  setup: AuditSetup,
  flags: AuditFlag[][],
): Record<string, number> {
  const shares: Record<string, number> = {};
  for (const [rule, extractor] of Object.entries(setup.extractors)) {
    const find = candidateFinder(extractor);
    let n = 0;
    items.forEach((item, i) => {
      if (new Set(find(item.text).map((c) => c.trim())).size < 2) return;
      n++;
      if (item.rewards[rule] === 1 && !flags[i]!.includes('multipleCandidates'))
        flags[i]!.push('multipleCandidates');
    });
    shares[rule] = items.length === 0 ? 0 : n / items.length;
  }
  return shares;
}

/** Where drift is measured from: the first audited step's figures. */
export type AuditStart = {
  mean: number;
  p95: number;
  passRates: Record<string, number>;
  formatNotAccuracy: number | null;
};

/** The start a run's first audit record holds (a resumed run measures drift from its real start). */
export function auditStartOf(
  first: Pick<StepAudit, 'length' | 'passRates'> & { formatNotAccuracy?: number | null },
): AuditStart {
  return {
    mean: first.length.mean,
    p95: first.length.p95,
    passRates: { ...first.passRates },
    formatNotAccuracy: first.formatNotAccuracy ?? null,
  };
}

const isTruncated = (item: AuditItem, cap: number): boolean => item.truncated ?? item.tokens >= cap;

/** Audits the steps of one run in order; the first step observed is the start, unless `start` is given. */
export class RunAudit {
  constructor(
    readonly setup: AuditSetup,
    private start?: AuditStart,
  ) {}

  observe(step: number, items: readonly AuditItem[]): { record: StepAudit; flags: AuditFlag[][] } {
    const { setup } = this;
    const flags: AuditFlag[][] = items.map(() => []);
    const lengths = items.map((it) => it.tokens);
    const repeats = items.map((it) => repeatRate(it.text));
    items.forEach((it, i) => {
      if (isTruncated(it, setup.cap)) flags[i]!.push('atCap');
      if (repeats[i]! >= REPETITIVE_AT) flags[i]!.push('repetitive');
    });
    const repeated = duplicates(items, setup.accuracyRule, flags);
    const passRates = Object.fromEntries(
      setup.rules.map((r) => [r, mean(items.map((it) => it.rewards[r] ?? 0))]),
    );
    const { formatRule: f, accuracyRule: a } = setup;
    const formatNotAccuracy =
      f === null || a === null || f === a
        ? null
        : mean(items.map((it) => (it.rewards[f] === 1 && it.rewards[a] !== 1 ? 1 : 0)));
    const lengthMean = mean(lengths);
    const p95 = percentile(lengths, 0.95);
    this.start ??= { mean: lengthMean, p95, passRates, formatNotAccuracy };
    const { start } = this;
    const record: StepAudit = {
      step,
      completions: items.length,
      length: {
        mean: lengthMean,
        p95,
        atCap: mean(items.map((it) => (isTruncated(it, setup.cap) ? 1 : 0))),
        meanDrift: start.mean > 0 ? lengthMean / start.mean : null,
        p95Drift: start.p95 > 0 ? p95 / start.p95 : null,
      },
      duplicateShare: repeated.all,
      duplicateFailingShare: repeated.failing,
      repeatRate: mean(repeats),
      passRates,
      formatNotAccuracy,
      formatNotAccuracyRise:
        formatNotAccuracy === null || start.formatNotAccuracy === null
          ? null
          : formatNotAccuracy - start.formatNotAccuracy,
      opposed: opposedPairs(setup.rules, passRates, start.passRates),
      multipleCandidates: multipleCandidates(items, setup, flags),
      flagged: flags.filter((fl) => fl.length > 0).length,
    };
    return { record, flags };
  }
}
