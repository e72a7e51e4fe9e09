// Reward rules: a pattern catastrophic for backtracking engines, `(a+)+$`, on a 10,000-character completion
// (goal: under 50 ms per evaluation, in each place a user pattern can appear), and the throughput of a typical
// rule file on R1-style completions (completions per second).
import { compileRuleFile as compileRules } from '../../src/core/rules/check';
import type { RewardRulesInput } from '../../src/core/rules/schema';

const GOAL_MS = 50;

function time(fn: () => void, warmup: number, reps: number): { median: number; max: number } {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Float64Array(reps);
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    fn();
    samples[i] = performance.now() - start;
  }
  samples.sort();
  return { median: samples[Math.floor(reps / 2)] ?? NaN, max: samples[reps - 1] ?? NaN };
}

function catastrophic(): void {
  const pattern = '(a+)+$';
  const cases: [string, RewardRulesInput['rules'][number]][] = [
    ['regex rule (mustMatch)', { name: 'r', kind: 'regex', pattern }],
    ['format rule (full match)', { name: 'f', kind: 'format', pattern }],
    ['answer regex extractor (captures)', { name: 'x', kind: 'answer', extract: { type: 'regex', pattern } }],
  ];
  const inputs: [string, string][] = [
    ['10,000 × "a" + "!" (no match)', `${'a'.repeat(10_000)}!`],
    ['10,000 × "a" (match)', 'a'.repeat(10_000)],
  ];
  console.log(`  ${pattern} on a 10,000-character completion (goal < ${GOAL_MS} ms per evaluation):`);
  for (const [label, rule] of cases) {
    const compiled = compileRules({ rules: [rule] });
    for (const [inputLabel, text] of inputs) {
      const t = time(() => compiled.evaluate(text, { answer: 'a' }), 3, 20);
      const verdict = t.max < GOAL_MS ? 'meets' : 'MISSES';
      console.log(
        `    ${label.padEnd(34)} ${inputLabel.padEnd(30)} median ${t.median.toFixed(2)} ms, max ${t.max.toFixed(2)} ms (${verdict} goal)`,
      );
    }
  }
}

const typical: RewardRulesInput = {
  rules: [
    { name: 'format', kind: 'format', tags: ['think', 'answer'], allowTextOutside: false },
    { name: 'accuracy', kind: 'answer', extract: { type: 'tag' }, compare: 'numeric' },
    { name: 'boxed', kind: 'answer', extract: { type: 'boxed' }, compare: 'numeric', reward: false },
    { name: 'short', kind: 'length', unit: 'tokens', max: 400, reward: false },
    { name: 'noHedging', kind: 'regex', pattern: '(?i)as an ai|i cannot', mode: 'mustNotMatch' },
    { name: 'tidy', kind: 'all', rules: ['format', 'short'] },
    { name: 'anyAnswer', kind: 'any', rules: ['accuracy', 'boxed'] },
  ],
};

function throughput(): void {
  const compiled = compileRules(typical);
  const completions: { text: string; sample: Record<string, unknown> }[] = [];
  for (let i = 0; i < 256; i++) {
    const steps = Array.from(
      { length: 20 + (i % 30) },
      (_, k) => `step ${k}: ${k * i} + ${k} = ${k * i + k}.`,
    ).join(' ');
    const answer = i % 3 === 0 ? `\\boxed{${i}}` : String(i + (i % 2));
    completions.push({
      text: `<think>${steps}</think>\n<answer>${answer}</answer>`,
      sample: { answer: String(i) },
    });
  }
  const chars = completions.reduce((s, c) => s + c.text.length, 0) / completions.length;
  for (const c of completions) compiled.evaluate(c.text, c.sample);
  const rounds = 20;
  const start = performance.now();
  for (let r = 0; r < rounds; r++) for (const c of completions) compiled.evaluate(c.text, c.sample);
  const seconds = (performance.now() - start) / 1000;
  const perSecond = (rounds * completions.length) / seconds;
  console.log(
    `  typical file (${typical.rules.length} rules: format, numeric <answer>, boxed, length, regex, all, any) on ` +
      `${completions.length} R1-style completions of ~${Math.round(chars)} chars: ${Math.round(perSecond).toLocaleString('en-US')} completions/s ` +
      `(${((1e6 * seconds) / (rounds * completions.length)).toFixed(1)} µs each)`,
  );
}

export function run(): Promise<void> {
  catastrophic();
  throughput();
  return Promise.resolve();
}
