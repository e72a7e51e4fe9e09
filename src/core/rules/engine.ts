// The reward-rule engine: a rule file is compiled once (schema, semantic checks, regexes) and then scores many
// completions. Each rule is its own binary reward (BNPO decomposes the reward per rule); every outcome carries a
// short reason so a person can see why a completion failed.
import type { RE2JS } from 're2js';
import type { AnswerRule, Extractor, FormatRule, LengthRule, RegexRule, RewardRules, Rule } from './schema';
import type { ScoringBudget } from './budget';
import {
  BudgetExceeded,
  checkRegexWork,
  completionSizeProblem,
  defaultScoringBudget,
  timeProblem,
} from './budget';
import { extractBoxed, extractLastNumber, extractRegex, extractTag } from './extract';
import { normalizeText, parseNumber } from './normalize';
import { compileRegex } from './regex';
import type { SemanticIssue } from './semantics';
import { checkSemantics } from './semantics';

export interface RuleOutcome {
  name: string;
  reward: 0 | 1;
  reason: string;
  error?: string;
}

export interface CompiledRules {
  /** the reward components, in file order (each is its own binary reward for BNPO's decomposition) */
  readonly names: readonly string[];
  readonly weights: Readonly<Record<string, number>>;
  /** every rule in file order, helpers (`"reward": false`) included */
  readonly allNames: readonly string[];
  readonly rules: RewardRules;
  /** never throws: a rule that throws on one completion scores 0 with `error` set */
  evaluate(completion: string, sample: Readonly<Record<string, unknown>>): RuleOutcome[];
  /** like evaluate, for every rule including helpers, in file order */
  evaluateAll(completion: string, sample: Readonly<Record<string, unknown>>): RuleOutcome[];
  /** how many evaluations of each rule threw since compilation (they scored 0) */
  errorCounts(): Readonly<Record<string, number>>;
}

/** A rule file that cannot be compiled; `issues` say where (JSON paths) and why. */
export class RulesError extends Error {
  override readonly name = 'RulesError';
  constructor(readonly issues: readonly Pick<SemanticIssue, 'message' | 'path'>[]) {
    super(issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
  }
}

export function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, k) => (typeof p === 'number' ? `[${p}]` : k === 0 ? p : `.${p}`)).join('');
}

const maxShown = 60;
/** Quotes a piece of completion for a reason, shortened so reasons stay one line. */
export function shown(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return JSON.stringify(oneLine.length > maxShown ? `${oneLine.slice(0, maxShown - 1)}…` : oneLine);
}

/**
 * `depth` counts the combinator levels a reason nests; the reasons of rules deeper than maxReasonDepth are not
 * repeated, and every reason is clipped to maxReasonChars, so a diamond-shaped rule graph cannot make reasons
 * grow exponentially with its depth.
 */
type Verdict = { reward: 0 | 1; reason: string; depth?: number };
type Evaluator = (
  completion: string,
  sample: Readonly<Record<string, unknown>>,
  lookup: (name: string) => Verdict,
) => Verdict;

export const maxReasonChars = 400;
export const maxReasonDepth = 3;

function clip(reason: string): string {
  if (reason.length <= maxReasonChars) return reason;
  let cut = maxReasonChars - 1;
  const last = reason.charCodeAt(cut - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut--; // never split a surrogate pair
  return `${reason.slice(0, cut)}…`;
}

function pass(reason: string, depth = 0): Verdict {
  return { reward: 1, reason: clip(reason), depth };
}
function fail(reason: string, depth = 0): Verdict {
  return { reward: 0, reason: clip(reason), depth };
}

/**
 * The named rules with their reasons, for a combinator's own reason: names are listed once, rules that share a
 * reason share one mention of it (a diamond repeats the same cause), and reasons nested too deep are left out.
 */
function because(
  names: readonly string[],
  lookup: (name: string) => Verdict,
): { text: string; depth: number } {
  const byReason = new Map<string, string[]>();
  const bare: string[] = [];
  let depth = 0;
  for (const name of new Set(names)) {
    const v = lookup(name);
    const d = (v.depth ?? 0) + 1;
    if (d > maxReasonDepth) {
      bare.push(name);
      continue;
    }
    depth = Math.max(depth, d);
    const sharing = byReason.get(v.reason);
    if (sharing === undefined) byReason.set(v.reason, [name]);
    else sharing.push(name);
  }
  const parts = [...byReason].map(([reason, sharing]) => `${sharing.join(', ')} (${reason})`);
  return { text: [...parts, ...bare].join('; '), depth };
}

function mustCompile(pattern: string, flags: string): RE2JS {
  const c = compileRegex(pattern, flags);
  // checkSemantics already reported bad patterns, so reaching this is a bug in the checks
  if (!c.ok) throw new Error(c.message);
  return c.re;
}

function extractorFor(
  ex: Extractor,
  budget: ScoringBudget,
): { label: string; run: (text: string) => string | null } {
  switch (ex.type) {
    case 'lastNumber':
      return { label: 'last number', run: extractLastNumber };
    case 'boxed':
      return { label: '\\boxed{}', run: extractBoxed };
    case 'tag':
      return { label: `<${ex.tag}>`, run: (t) => extractTag(t, ex.tag) };
    case 'regex': {
      const re = mustCompile(ex.pattern, ex.flags);
      const run = (t: string): string | null => {
        checkRegexWork(re, t, budget);
        return extractRegex(t, re, ex.group);
      };
      return { label: `/${ex.pattern}/`, run };
    }
  }
}

/** Missing or unusable sample data is the dataset's fault, not the completion's: it is an error, counted. */
class SampleError extends Error {}

function expectedValues(rule: AnswerRule, sample: Readonly<Record<string, unknown>>): string[] {
  if (!Object.prototype.hasOwnProperty.call(sample, rule.field)) {
    throw new SampleError(`sample has no field '${rule.field}'`);
  }
  const v = sample[rule.field];
  const scalar = (x: unknown): string => {
    if (typeof x === 'string') return x;
    if (typeof x === 'number' || typeof x === 'boolean') return String(x);
    throw new SampleError(
      `sample field '${rule.field}' holds ${x === null ? 'null' : typeof x}, not text or a number`,
    );
  };
  if (Array.isArray(v)) {
    if (rule.compare === 'exact') {
      throw new SampleError(`sample field '${rule.field}' holds a list: use "compare": "oneOf"`);
    }
    if (v.length === 0) throw new SampleError(`sample field '${rule.field}' is an empty list`);
    return v.map(scalar);
  }
  return [scalar(v)];
}

function answerEvaluator(rule: AnswerRule, budget: ScoringBudget): Evaluator {
  const ex = extractorFor(rule.extract, budget);
  return (completion, sample) => {
    const expected = expectedValues(rule, sample);
    const raw = ex.run(completion);
    if (raw === null) return fail(`no ${ex.label} answer found`);
    const got = normalizeText(raw, rule.normalize);
    const want = expected.map((e) => normalizeText(e, rule.normalize));
    const wantShown = want.length === 1 ? shown(want[0] ?? '') : `one of ${want.map(shown).join(', ')}`;
    if (rule.compare === 'numeric') {
      const g = parseNumber(got);
      if (g === null) return fail(`${ex.label} gave ${shown(got)}, not a number`);
      for (const w of want) {
        const e = parseNumber(w);
        if (e === null)
          throw new SampleError(`sample field '${rule.field}' value ${shown(w)} is not a number`);
        const diff = Math.abs(g - e);
        if (diff <= rule.tolerance || diff <= rule.relativeTolerance * Math.abs(e)) {
          return pass(
            `${ex.label} gave ${shown(got)} = ${shown(w)}${diff > 0 ? ` (|Δ| = ${diff.toPrecision(3)})` : ''}`,
          );
        }
      }
      return fail(`${ex.label} gave ${shown(got)}, expected ${wantShown}`);
    }
    if (want.includes(got)) return pass(`${ex.label} gave ${shown(got)}, as expected`);
    return fail(`${ex.label} gave ${shown(got)}, expected ${wantShown}`);
  };
}

interface Span {
  tag: string;
  open: number;
  close: number;
}

function countOf(text: string, needle: string): number {
  let n = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) n++;
  return n;
}

function formatEvaluator(rule: FormatRule, budget: ScoringBudget): Evaluator {
  const re = rule.pattern === undefined ? undefined : mustCompile(rule.pattern, rule.flags);
  const tags = rule.tags ?? [];
  return (completion) => {
    const spans: Span[] = [];
    for (const tag of tags) {
      const openTag = `<${tag}>`;
      const closeTag = `</${tag}>`;
      const opens = countOf(completion, openTag);
      const closes = countOf(completion, closeTag);
      if (opens === 0) return fail(`missing ${openTag}`);
      if (closes === 0) return fail(`missing ${closeTag}`);
      if (rule.exactlyOnce && opens > 1) return fail(`${openTag} appears ${opens} times, expected once`);
      if (rule.exactlyOnce && closes > 1) return fail(`${closeTag} appears ${closes} times, expected once`);
      if (opens !== closes) return fail(`${opens} ${openTag} but ${closes} ${closeTag}`);
      const open = completion.indexOf(openTag);
      const close = completion.indexOf(closeTag);
      if (close < open) return fail(`${closeTag} comes before ${openTag}`);
      spans.push({ tag, open, close: completion.lastIndexOf(closeTag) + closeTag.length });
    }
    if (rule.order) {
      for (let k = 1; k < spans.length; k++) {
        const prev = spans[k - 1];
        const cur = spans[k];
        if (prev !== undefined && cur !== undefined && cur.open < prev.close) {
          return fail(`<${cur.tag}> opens before </${prev.tag}> closes`);
        }
      }
    }
    if (!rule.allowTextOutside && spans.length > 0) {
      const sorted = [...spans].sort((a, b) => a.open - b.open);
      let at = 0;
      for (const s of sorted) {
        const gap = completion.slice(at, s.open);
        if (s.open > at && gap.trim() !== '') return fail(`text outside the tags: ${shown(gap.trim())}`);
        at = Math.max(at, s.close);
      }
      const tail = completion.slice(at);
      if (tail.trim() !== '')
        return fail(`text after </${sorted[sorted.length - 1]?.tag ?? ''}>: ${shown(tail.trim())}`);
    }
    if (re !== undefined) {
      checkRegexWork(re, completion, budget);
      if (!re.testExact(completion)) return fail('does not fully match the format pattern');
    }
    const what =
      tags.length > 0 ? tags.map((t) => `<${t}>`).join(rule.order ? ' then ' : ', ') : 'the pattern';
    return pass(`has ${what}`);
  };
}

function regexEvaluator(rule: RegexRule, budget: ScoringBudget): Evaluator {
  const re = mustCompile(rule.pattern, rule.flags);
  const firstMatch = (text: string): string => {
    const m = re.matcher(text);
    return m.find() ? shown(m.group(0) ?? '') : '';
  };
  return (completion) => {
    checkRegexWork(re, completion, budget);
    // test() runs on the DFA without captures; the match text is fetched only for the reason when needed
    const found = re.test(completion);
    if (rule.mode === 'mustMatch')
      return found ? pass(`found ${firstMatch(completion)}`) : fail('pattern not found');
    return found ? fail(`forbidden match ${firstMatch(completion)}`) : pass('no forbidden match');
  };
}

/** Tokens are maximal runs of non-whitespace characters: the same for every model and tokenizer. */
export function countTokens(text: string): number {
  let n = 0;
  let inToken = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space =
      c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x2028 || c === 0x2029 || c === 0x3000;
    if (!space && !inToken) n++;
    inToken = !space;
  }
  return n;
}

/** Characters are Unicode code points, so an emoji counts once. */
export function countChars(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      c < 0xdc00 ||
      c > 0xdfff ||
      i === 0 ||
      text.charCodeAt(i - 1) < 0xd800 ||
      text.charCodeAt(i - 1) > 0xdbff
    )
      n++;
  }
  return n;
}

function lengthEvaluator(rule: LengthRule): Evaluator {
  return (completion) => {
    const n = rule.unit === 'tokens' ? countTokens(completion) : countChars(completion);
    const unit = `${rule.unit === 'tokens' ? 'token' : 'character'}${n === 1 ? '' : 's'}`;
    if (rule.min !== undefined && n < rule.min) return fail(`${n} ${unit} < min ${rule.min}`);
    if (rule.max !== undefined && n > rule.max) return fail(`${n} ${unit} > max ${rule.max}`);
    return pass(`${n} ${unit}`);
  };
}

function evaluatorFor(rule: Rule, budget: ScoringBudget): Evaluator {
  switch (rule.kind) {
    case 'answer':
      return answerEvaluator(rule, budget);
    case 'format':
      return formatEvaluator(rule, budget);
    case 'regex':
      return regexEvaluator(rule, budget);
    case 'length':
      return lengthEvaluator(rule);
    case 'all': {
      const names = rule.rules;
      return (_c, _s, lookup) => {
        const failed = names.filter((n) => lookup(n).reward === 0);
        if (failed.length === 0) return pass(`all of ${[...new Set(names)].join(', ')} passed`);
        const { text, depth } = because(failed, lookup);
        return fail(`failed: ${text}`, depth);
      };
    }
    case 'any': {
      const names = rule.rules;
      return (_c, _s, lookup) => {
        const passed = names.find((n) => lookup(n).reward === 1);
        if (passed !== undefined) return pass(`${passed} passed`);
        const { text, depth } = because(names, lookup);
        return fail(`none passed: ${text}`, depth);
      };
    }
    case 'not': {
      const name = rule.rule;
      return (_c, _s, lookup) => {
        const v = lookup(name);
        if (v.reward === 0) return pass(`${name} failed`);
        const depth = (v.depth ?? 0) + 1;
        return depth > maxReasonDepth ? fail(`${name} passed`) : fail(`${name} passed: ${v.reason}`, depth);
      };
    }
  }
}

export interface CompileOptions {
  /** defaults to defaultScoringBudget */
  budget?: ScoringBudget;
  /** milliseconds, for the time budget (tests pass a fake clock) */
  now?: () => number;
}

type Scored = Verdict & { error?: string; overBudget?: true };

const combinatorKinds: ReadonlySet<Rule['kind']> = new Set(['all', 'any', 'not']);

/**
 * Checks and compiles a rule file that has already passed the schema (defaults filled: see compileRuleFile in
 * check.ts for raw input); throws RulesError listing every semantic problem.
 */
export function compileRules(rules: RewardRules, options: CompileOptions = {}): CompiledRules {
  const errors = checkSemantics(rules).filter((i) => i.severity === 'error');
  if (errors.length > 0) throw new RulesError(errors);
  const budget = options.budget ?? defaultScoringBudget;
  const now = options.now ?? (() => performance.now());

  const evaluators = new Map<string, Evaluator>(rules.rules.map((r) => [r.name, evaluatorFor(r, budget)]));
  const combinators = new Set(rules.rules.filter((r) => combinatorKinds.has(r.kind)).map((r) => r.name));
  const allNames = rules.rules.map((r) => r.name);
  const names = rules.rules.filter((r) => r.reward).map((r) => r.name);
  const weights = Object.fromEntries(rules.rules.filter((r) => r.reward).map((r) => [r.name, r.weight]));
  const errorCount: Record<string, number> = Object.fromEntries(allNames.map((n) => [n, 0]));

  const run = (
    completion: string,
    sample: Readonly<Record<string, unknown>>,
    wanted: readonly string[],
  ): RuleOutcome[] => {
    const started = now();
    const tooLarge = completionSizeProblem(completion, budget);
    const overTime = (): string | undefined => timeProblem(now() - started, budget);
    // Memoised per completion: combinators share the verdicts of the rules they name (no cycles: checked above).
    const memo = new Map<string, Scored>();
    // A combinator over a rule that ran out of budget runs out too: `not` must not reward an unscorable text.
    const inner = (name: string): Verdict => {
      const v = lookup(name);
      if (v.overBudget) throw new BudgetExceeded(v.reason);
      return v;
    };
    const score = (name: string): Scored => {
      const evaluate = evaluators.get(name);
      const leaf = !combinators.has(name);
      try {
        if (evaluate === undefined) throw new Error(`unknown rule '${name}'`);
        const before = leaf ? (tooLarge ?? overTime()) : undefined;
        if (before !== undefined) throw new BudgetExceeded(before);
        const v = evaluate(completion, sample, inner);
        const after = leaf ? overTime() : undefined;
        if (after !== undefined) throw new BudgetExceeded(after);
        return v;
      } catch (err) {
        if (err instanceof BudgetExceeded) return { reward: 0, reason: err.message, overBudget: true };
        const message = err instanceof Error ? err.message : String(err);
        errorCount[name] = (errorCount[name] ?? 0) + 1;
        return { reward: 0, reason: `error: ${message}`, error: message };
      }
    };
    const lookup = (name: string): Scored => {
      let v = memo.get(name);
      if (v === undefined) {
        v = score(name);
        memo.set(name, v);
      }
      return v;
    };
    return wanted.map((name) => {
      const v = lookup(name);
      const outcome: RuleOutcome = { name, reward: v.reward, reason: v.reason };
      if (v.error !== undefined) outcome.error = v.error;
      return outcome;
    });
  };

  return {
    names,
    weights,
    allNames,
    rules,
    evaluate: (completion, sample) => run(completion, sample, names),
    evaluateAll: (completion, sample) => run(completion, sample, allNames),
    errorCounts: () => ({ ...errorCount }),
  };
}

/** The plain-sum reward of a set of outcomes (display and plain-sum mode; BNPO uses the components). */
export function weightedSum(
  outcomes: readonly RuleOutcome[],
  weights: Readonly<Record<string, number>>,
): number {
  return outcomes.reduce((s, o) => s + o.reward * (weights[o.name] ?? 1), 0);
}
