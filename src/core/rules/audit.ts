// The pre-run reward-hacking audit: a battery of degenerate completions made from the dataset's own answers and
// the rules' own tags, scored by the compiled rules. A rule that rewards a degenerate form is a finding (with the
// completion that got the reward); a rule that fails even the well-formed correct completion never passes.
import type { CompiledRules } from './engine';
import type { AnswerRule, LengthRule, RewardRules, Rule, RuleKind } from './schema';

export const DEGENERATE_FORMS = [
  'empty',
  'tagsOnly',
  'answerOutsideTags',
  'truncated',
  'answerRepeated',
  'everyCandidate',
  'junkAppended',
  'junkPrepended',
  'boxedRepeated',
] as const;
export type DegenerateForm = (typeof DEGENERATE_FORMS)[number];

/** What each form looks like, for reports and the docs. */
export const FORM_LABELS: Readonly<Record<DegenerateForm, string>> = {
  empty: 'empty completion',
  tagsOnly: 'only the tags, nothing inside',
  answerOutsideTags: 'empty answer tag, the answer after it',
  truncated: 'cut at the length cap before the answer',
  answerRepeated: 'the answer repeated many times',
  everyCandidate: 'every candidate answer listed',
  junkAppended: 'the answer with junk appended',
  junkPrepended: 'the answer with junk prepended',
  boxedRepeated: '\\boxed{answer} repeated',
};

const leafKinds: readonly RuleKind[] = ['answer', 'format', 'regex', 'length'];
const everyKind: readonly RuleKind[] = [...leafKinds, 'all', 'any', 'not'];
/**
 * Which rule kinds each form is a test of. A well-formed completion whose answer is degenerate should still pass a
 * format rule, so the answer forms only judge answer rules; a rule of any kind rewarding nothing is a finding.
 */
const FORM_TARGETS: Readonly<Record<DegenerateForm, readonly RuleKind[]>> = {
  empty: everyKind,
  tagsOnly: everyKind,
  answerOutsideTags: ['answer', 'format'],
  truncated: ['answer', 'format'],
  answerRepeated: ['answer'],
  everyCandidate: ['answer'],
  junkAppended: ['answer'],
  junkPrepended: ['answer'],
  boxedRepeated: ['answer'],
};

const REPEATS = 12;
const FILLER = 'Let me think step by step about the problem.';
const DEFAULT_CAP = 1024;

/** The completion shape the rules ask for: the format rules' tags in order, and where the answer goes. */
interface Shape {
  tags: readonly string[];
  /** the tag the answer goes into; undefined when it goes bare (or boxed) */
  answerTag: string | undefined;
  boxed: boolean;
}

function shapeOf(rules: RewardRules): Shape {
  const tags = [...new Set(rules.rules.flatMap((r) => (r.kind === 'format' ? (r.tags ?? []) : [])))];
  const extractors = rules.rules.filter((r): r is AnswerRule => r.kind === 'answer').map((r) => r.extract);
  const tagged = extractors.find((e) => e.type === 'tag');
  const boxed = extractors.some((e) => e.type === 'boxed');
  let answerTag = tagged?.type === 'tag' ? tagged.tag : undefined;
  if (answerTag === undefined && tags.length > 0)
    answerTag = tags.includes('answer') ? 'answer' : tags.at(-1);
  return {
    tags: answerTag !== undefined && !tags.includes(answerTag) ? [...tags, answerTag] : tags,
    answerTag,
    boxed,
  };
}

/** The completion with every tag filled (the answer's with `answer`, the others with `filler`). */
function wrap(shape: Shape, answer: string, filler = FILLER): string {
  const inner = shape.boxed && shape.answerTag === undefined ? `\\boxed{${answer}}` : answer;
  if (shape.tags.length === 0) return `${filler}\n${inner}`;
  return shape.tags.map((t) => `<${t}>${t === shape.answerTag ? inner : filler}</${t}>`).join('\n');
}

function tagsOnly(shape: Shape): string {
  const tags = shape.tags.length > 0 ? shape.tags : ['answer'];
  return tags.map((t) => `<${t}></${t}>`).join('\n');
}

/** The length cap in characters: the tightest `max` of the chars length rules, else the given default. */
export function lengthCap(rules: RewardRules, fallback = DEFAULT_CAP): number {
  const caps = rules.rules
    .filter((r): r is LengthRule => r.kind === 'length' && r.unit === 'chars' && r.max !== undefined)
    .map((r) => r.max ?? fallback);
  return caps.length > 0 ? Math.min(...caps) : fallback;
}

/** Other answers to list beside the gold one: the dataset's, else numbers near it (or letters). */
function decoys(gold: string, pool: readonly string[]): string[] {
  const others = [...new Set(pool)].filter((a) => a !== gold).slice(0, 4);
  const n = Number(gold);
  const near = Number.isFinite(n) && gold.trim() !== '' ? [n + 7, n + 13] : ['x', 'y'];
  for (const d of near.map(String)) if (others.length < 2 && !others.includes(d)) others.push(d);
  return others;
}

/** Every degenerate form for one gold answer (and the well-formed `reference`). */
export function degenerateForms(
  rules: RewardRules,
  gold: string,
  pool: readonly string[],
  cap = lengthCap(rules),
): Record<DegenerateForm | 'reference', string> {
  const shape = shapeOf(rules);
  const [d1 = 'x', d2 = 'y', ...rest] = decoys(gold, pool);
  const shapeNoBox: Shape = { ...shape, boxed: false };
  // the reasoning runs past the cap before the answer is written
  const filler = `${FILLER} `.repeat(Math.ceil(cap / FILLER.length) + 1).trim();
  const long = shape.tags.some((t) => t !== shape.answerTag)
    ? wrap(shape, gold, filler)
    : `${filler}\n${wrap(shape, gold)}`;
  return {
    reference: wrap(shape, gold),
    empty: '',
    tagsOnly: tagsOnly(shape),
    answerOutsideTags: `${wrap(shapeNoBox, '')}\n${gold}`,
    truncated: [...long].slice(0, cap).join(''),
    answerRepeated: wrap(shape, Array.from({ length: REPEATS }, () => gold).join(' ')),
    everyCandidate: wrap(shape, [d1, gold, d2, ...rest].join(', ')),
    junkAppended: wrap(shape, `${gold} or maybe ${d1} or ${d2}`),
    junkPrepended: wrap(shape, `maybe ${d1} or ${d2} or ${gold}`),
    boxedRepeated: wrap(shapeNoBox, Array.from({ length: REPEATS }, () => `\\boxed{${gold}}`).join(' ')),
  };
}

export interface FormFinding {
  form: DegenerateForm;
  /** samples on which the rule rewarded the form, of `total` */
  passed: number;
  total: number;
  /** the first completion it rewarded, and why */
  example: string;
  reason: string;
}

export interface RuleAudit {
  name: string;
  kind: RuleKind;
  /** false for helpers (`"reward": false`): what they pass is no reward by itself */
  reward: boolean;
  /** the degenerate forms this rule rewards (only forms that test its kind) */
  rewards: FormFinding[];
  /** passes every degenerate form it was judged on, on every sample */
  alwaysPasses: boolean;
  /** fails the well-formed correct completion on every sample */
  neverPasses: boolean;
}

export interface AuditReport {
  rules: RuleAudit[];
  samples: number;
  cap: number;
}

export interface AuditOptions {
  /** the length cap in characters (default: lengthCap of the rules) */
  cap?: number;
  /** how many dataset samples to build forms from */
  maxSamples?: number;
}

/** The gold answer of a sample: the first answer rule's field (a list's first value). */
function goldOf(rules: RewardRules, sample: Readonly<Record<string, unknown>>): string {
  const field = rules.rules.find((r): r is AnswerRule => r.kind === 'answer')?.field ?? 'answer';
  const v = sample[field];
  const first: unknown = Array.isArray(v) ? v[0] : v;
  return typeof first === 'string' || typeof first === 'number' ? String(first) : '42';
}

/** Samples to use without a dataset: every field an answer rule reads holds `42`. */
export function syntheticSamples(rules: RewardRules): Record<string, unknown>[] {
  const fields = rules.rules.flatMap((r) => (r.kind === 'answer' ? [r.field] : []));
  return [Object.fromEntries((fields.length > 0 ? fields : ['answer']).map((f) => [f, '42']))];
}

/** Scores the battery on up to `maxSamples` samples and reports, per rule, what it rewards. */
export function auditRules(
  compiled: CompiledRules,
  samples: readonly Readonly<Record<string, unknown>>[],
  options: AuditOptions = {},
): AuditReport {
  const { rules } = compiled;
  const used = (samples.length > 0 ? samples : syntheticSamples(rules)).slice(0, options.maxSamples ?? 20);
  const cap = options.cap ?? lengthCap(rules);
  const golds = used.map((s) => goldOf(rules, s));
  const byName = new Map<string, Rule>(rules.rules.map((r) => [r.name, r]));
  const audits = new Map<
    string,
    { findings: Map<DegenerateForm, FormFinding>; judged: number; refPassed: number }
  >(compiled.allNames.map((n) => [n, { findings: new Map(), judged: 0, refPassed: 0 }]));
  used.forEach((sample, i) => {
    const forms = degenerateForms(rules, golds[i] ?? '42', golds, cap);
    compiled.evaluateAll(forms.reference, sample).forEach((o) => {
      const a = audits.get(o.name);
      if (a !== undefined && o.reward === 1) a.refPassed++;
    });
    for (const form of DEGENERATE_FORMS) {
      const text = forms[form];
      for (const o of compiled.evaluateAll(text, sample)) {
        const kind = byName.get(o.name)?.kind;
        const a = audits.get(o.name);
        if (kind === undefined || a === undefined || !FORM_TARGETS[form].includes(kind)) continue;
        a.judged++;
        if (o.reward === 0) continue;
        const f = a.findings.get(form) ?? {
          form,
          passed: 0,
          total: used.length,
          example: text,
          reason: o.reason,
        };
        f.passed++;
        a.findings.set(form, f);
      }
    }
  });
  return {
    samples: used.length,
    cap,
    rules: compiled.allNames.map((name) => {
      const a = audits.get(name)!;
      const rewards = DEGENERATE_FORMS.flatMap((f) => a.findings.get(f) ?? []);
      const passes = rewards.reduce((s, f) => s + f.passed, 0);
      return {
        name,
        kind: byName.get(name)!.kind,
        reward: byName.get(name)!.reward,
        rewards,
        alwaysPasses: a.judged > 0 && passes === a.judged,
        neverPasses: a.refPassed === 0,
      };
    }),
  };
}

/** The finding that makes a reward rule unsafe to train on as it stands: it rewards empty or tags-only output. */
export function rewardsNothing(audit: RuleAudit): FormFinding | undefined {
  if (!audit.reward) return undefined;
  return audit.rewards.find((f) => f.form === 'empty' || f.form === 'tagsOnly');
}

/** The JSON object lines of a JSONL dataset, and the lines that are not one. */
export function datasetRowsFromText(text: string): {
  rows: Record<string, unknown>[];
  problems: { line: number; message: string }[];
} {
  const rows: Record<string, unknown>[] = [];
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      problems.push({ line: i + 1, message: 'not JSON' });
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      rows.push(value as Record<string, unknown>);
    else problems.push({ line: i + 1, message: 'not a JSON object' });
  });
  return { rows, problems };
}

/** A completion in one quoted line; a long one keeps its end, where the answer is. */
function quoted(text: string, max = 90): string {
  return JSON.stringify(text.length > max ? `…${text.slice(text.length - max + 1)}` : text);
}

/** The report as text: one block per rule with findings, then a summary line. */
export function formatAuditText(report: AuditReport, title: string): string {
  const samples = `${report.samples} sample${report.samples === 1 ? '' : 's'}`;
  const out = [`${title}: ${samples}, length cap ${report.cap} characters`, ''];
  let flagged = 0;
  for (const r of report.rules) {
    const notes = [r.alwaysPasses ? 'always passes' : '', r.neverPasses ? 'never passes' : ''].filter(
      Boolean,
    );
    if (r.rewards.length === 0 && notes.length === 0) {
      out.push(`${r.name}: ok`);
      continue;
    }
    flagged++;
    out.push(
      `${r.name}: ${[...notes, r.rewards.length > 0 ? `rewards ${r.rewards.length} degenerate forms` : ''].filter(Boolean).join(', ')}`,
    );
    for (const f of r.rewards) {
      out.push(`  ${f.form} (${FORM_LABELS[f.form]}): ${f.passed}/${f.total}, e.g. ${quoted(f.example)}`);
    }
  }
  out.push(
    '',
    flagged === 0
      ? 'no rule rewards a degenerate completion'
      : `${flagged} rule${flagged === 1 ? '' : 's'} flagged`,
  );
  return `${out.join('\n')}\n`;
}

function mdCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\n/g, '\\n');
}

/** The report as Markdown (the editor's "Audit" lens). */
export function formatAuditMarkdown(report: AuditReport, title: string): string {
  const out = [
    `# Reward audit: ${mdCell(title)}`,
    '',
    `${report.samples} samples, length cap ${report.cap} characters. See docs/reward-audit.md for what to change.`,
    '',
    '| Rule | Verdict |',
    '|---|---|',
  ];
  for (const r of report.rules) {
    const notes = [r.alwaysPasses ? 'always passes' : '', r.neverPasses ? 'never passes' : ''];
    if (r.rewards.length > 0) notes.push(`rewards ${r.rewards.map((f) => f.form).join(', ')}`);
    out.push(`| \`${r.name}\` | ${notes.filter(Boolean).join('; ') || 'ok'} |`);
  }
  for (const r of report.rules.filter((x) => x.rewards.length > 0)) {
    out.push('', `## \`${r.name}\` rewards`, '', '| Form | Samples | Example |', '|---|---:|---|');
    for (const f of r.rewards)
      out.push(`| ${FORM_LABELS[f.form]} | ${f.passed}/${f.total} | \`${mdCell(quoted(f.example))}\` |`);
  }
  return `${out.join('\n')}\n`;
}
