// Rewards the model can never earn, found before training rather than after a run of zero reward. The warm start's
// demonstrations are what the model learns to write first: a reward rule that none of them passes will most likely
// score 0 on every sample, and then BNPO's advantages are all zero and nothing is learned. Where the rule needs
// characters (a format rule's tags) that the vocabulary lacks, the model cannot ever produce them: said so.
// And when every group of the first steps has zero variance, training has no signal: said once.
import type { CompiledRules } from '../core/rules/engine';
import type { Example } from './tasks';

/** How many RL steps without a single group of mixed rewards make a warning. */
export const ZERO_VARIANCE_STEPS = 5;

/** The tags a rule needs written literally: a format rule's, an answer rule's extraction tag. */
function requiredTags(rules: CompiledRules, name: string): readonly string[] {
  const rule = rules.rules.rules.find((r) => r.name === name);
  if (rule?.kind === 'format') return rule.tags ?? [];
  if (rule?.kind === 'answer' && rule.extract.type === 'tag') return [rule.extract.tag];
  return [];
}

/** Characters a rule needs literally that no token of `vocab` is (only where cheap: the tags it needs). */
function missingCharacters(rules: CompiledRules, name: string, vocab: ReadonlySet<string>): string[] {
  const needed = new Set(requiredTags(rules, name).flatMap((tag) => Array.from(`<${tag}></${tag}>`)));
  return [...needed].filter((c) => !vocab.has(c));
}

/**
 * One line per reward rule that no demonstration passes, naming the rule and why (the first demonstration's
 * failure reason, and characters the vocabulary cannot produce). Empty when every rule is reachable.
 */
export function unreachableRules(
  rules: CompiledRules,
  demonstrations: readonly Example[],
  vocab: ReadonlySet<string>,
): string[] {
  if (demonstrations.length === 0) return [];
  const passed = new Set<string>();
  const firstReason = new Map<string, string>();
  for (const demo of demonstrations) {
    for (const outcome of rules.evaluate(demo.target, demo.sample)) {
      if (outcome.reward === 1) passed.add(outcome.name);
      else if (!firstReason.has(outcome.name)) firstReason.set(outcome.name, outcome.reason);
    }
  }
  return rules.names
    .filter((name) => !passed.has(name))
    .map((name) => {
      const missing = missingCharacters(rules, name, vocab);
      const chars =
        missing.length > 0
          ? `; the vocabulary has no ${missing.map((c) => JSON.stringify(c)).join(', ')}, so the model can never write it`
          : '';
      return (
        `reward rule '${name}' passes none of the ${demonstrations.length} demonstrations ` +
        `(e.g. ${firstReason.get(name) ?? 'reward 0'})${chars}: it will likely reward nothing`
      );
    });
}

/** Watches the first steps' zero-variance share; says once when all of the first K steps had no signal. */
export class ZeroVarianceWatch {
  private flat = 0;
  private done = false;

  constructor(private readonly steps = ZERO_VARIANCE_STEPS) {}

  /** The warning, on the step that completes K steps where every group had zero variance; else undefined. */
  observe(zeroVarianceShare: number): string | undefined {
    if (this.done) return undefined;
    if (zeroVarianceShare < 1) {
      this.done = true;
      return undefined;
    }
    this.flat++;
    if (this.flat < this.steps) return undefined;
    this.done = true;
    return (
      `every group had zero reward variance for the first ${this.steps} steps: no advantage, nothing is learned ` +
      `(check that the reward rules can pass on what this model writes)`
    );
  }
}
