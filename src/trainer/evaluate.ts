// Scoring completions with the reward rules, and the held-out evaluation.
import type { CompiledRules, RuleOutcome } from '../core/rules/engine';
import type { RunConfig } from '../protocol/runConfig';
import type { EvalRecord } from '../protocol/runDir';
import type { PolicyTokenizer, TrainablePolicy } from './policy';
import { Rng } from './rng';
import type { LoadedTask } from './setup';
import type { Example } from './tasks';

export interface Scored {
  readonly text: string;
  readonly outcomes: RuleOutcome[];
}

export function scoreAll(
  rules: CompiledRules,
  texts: readonly string[],
  samples: readonly Example[],
): Scored[] {
  return texts.map((text, i) => ({ text, outcomes: rules.evaluate(text, samples[i]!.sample) }));
}

export function rewardOf(s: Scored, rule: string): number {
  return s.outcomes.find((o) => o.name === rule)?.reward ?? 0;
}

export function mean(xs: readonly number[]): number {
  return xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length;
}

export interface Evaluation {
  readonly accuracy: number;
  readonly rewards: Record<string, number>;
  readonly examples: EvalRecord['examples'];
}

/** Held-out evaluation: greedy (temperature 0) or sampled with a stream seeded by (seed, step). */
export async function evaluate(
  policy: TrainablePolicy,
  loaded: LoadedTask,
  config: RunConfig,
  step: number,
  tokenizer: PolicyTokenizer = loaded.task.tokenizer,
): Promise<Evaluation> {
  const { task, rules, accuracyRule } = loaded;
  const examples = task.heldOut.slice(0, config.eval.size);
  const rng = new Rng(config.seed * 7919 + step + 1);
  const scored: Scored[] = [];
  for (let at = 0; at < examples.length; at += 256) {
    const chunk = examples.slice(at, at + 256);
    const rollout = await policy.sample(
      chunk.map((e) => tokenizer.encodePrompt(e.prompt)),
      { temperature: config.eval.temperature, topP: 1, maxNew: config.maxNewTokens ?? task.maxNew, rng },
    );
    scored.push(
      ...scoreAll(
        rules,
        rollout.tokens.map((t) => tokenizer.decode(t)),
        chunk,
      ),
    );
  }
  const rewards = Object.fromEntries(rules.names.map((n) => [n, mean(scored.map((s) => rewardOf(s, n)))]));
  return {
    accuracy: mean(scored.map((s) => rewardOf(s, accuracyRule))),
    rewards,
    examples: scored.slice(0, 5).map((s, i) => ({
      prompt: examples[i]!.prompt,
      completion: s.text,
      answer: examples[i]!.target,
      correct: rewardOf(s, accuracyRule) === 1,
    })),
  };
}
