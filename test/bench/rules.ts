// Reward rules: a pattern catastrophic for backtracking engines, `(a+)+$`, on a 10,000-character completion
// (goal: under 50 ms per evaluation, in each place a user pattern can appear); degenerate inputs that used to
// stall a run (a `{1000}` counted repetition on 20 KB, 100 KB of unclosed `\boxed{`, a diamond of combinators
// 30 levels deep); and the throughput of a typical rule file on R1-style completions (completions per second).
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

function degenerate(): void {
  const words = 'ab '.repeat(7_000);
  const withinBudget = 'ab '.repeat(443); // 1,329 characters: the most this pattern's budget allows
  const diamond: RewardRulesInput['rules'] = [
    { name: 'a0', kind: 'regex', pattern: 'never-there', reward: false },
    { name: 'b0', kind: 'length', max: 1, reward: false },
  ];
  for (let k = 1; k <= 30; k++) {
    const below = [`a${k - 1}`, `b${k - 1}`];
    diamond.push({ name: `a${k}`, kind: 'any', rules: below, reward: k === 30 });
    diamond.push({ name: `b${k}`, kind: 'all', rules: below, reward: false });
  }
  const cases: [string, RewardRulesInput['rules'], string][] = [
    [
      '(?:[a-z]+\\s){1000} on 21,000 chars (over budget)',
      [{ name: 'r', kind: 'regex', pattern: '(?:[a-z]+\\s){1000}' }],
      words,
    ],
    [
      '(?:[a-z]+\\s){1000} on 1,329 chars (run)',
      [{ name: 'r', kind: 'regex', pattern: '(?:[a-z]+\\s){1000}' }],
      withinBudget,
    ],
    [
      'boxed on 105,000 chars of unclosed \\boxed{',
      [{ name: 'b', kind: 'answer', extract: { type: 'boxed' } }],
      `${'\\boxed{'.repeat(15_000)}\\boxed{42}`,
    ],
    ['diamond of any/all, 30 levels', diamond, 'several words'],
  ];
  console.log('  degenerate inputs (each evaluation bounded by the scoring budget):');
  for (const [label, rules, text] of cases) {
    const compiled = compileRules({ rules });
    let reasonChars = 0;
    const t = time(
      () => {
        reasonChars = compiled.evaluateAll(text, { answer: '42' }).reduce((s, o) => s + o.reason.length, 0);
      },
      2,
      10,
    );
    console.log(
      `    ${label.padEnd(50)} median ${t.median.toFixed(2)} ms, max ${t.max.toFixed(2)} ms, reasons ${reasonChars.toLocaleString('en-US')} chars`,
    );
  }
}

export function run(): Promise<void> {
  catastrophic();
  degenerate();
  throughput();
  return Promise.resolve();
}
