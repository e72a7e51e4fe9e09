// Time to compute BNPO advantages with decomposition over 2 rules for 512 groups × 16 completions
// (goal: under 1 ms), through the object API and through the flat fast path with a reused workspace.
import type { EstimatorName } from '../../src/core/estimators';
import {
  computeAdvantages,
  computeAdvantagesFlat,
  createAdvantageWorkspace,
} from '../../src/core/estimators';
import { Rng } from '../../src/trainer/rng';

const GROUPS = 512;
const COMPLETIONS = 16;
const RULES = ['accuracy', 'format'];
const GOAL_MS = 1;

/** Median and 90th percentile (ms) of `reps` timed calls after `warmup` untimed ones. */
function time(fn: () => void, warmup: number, reps: number): { median: number; p90: number } {
  for (let i = 0; i < warmup; i++) fn();
  const samples = new Float64Array(reps);
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    fn();
    samples[i] = performance.now() - start;
  }
  samples.sort();
  return { median: samples[Math.floor(reps / 2)] ?? NaN, p90: samples[Math.floor(reps * 0.9)] ?? NaN };
}

function report(label: string, { median, p90 }: { median: number; p90: number }): void {
  const verdict = median < GOAL_MS ? 'meets' : 'MISSES';
  console.log(
    `  ${label.padEnd(38)} median ${median.toFixed(3)} ms   p90 ${p90.toFixed(3)} ms   (${verdict} the ${GOAL_MS} ms goal)`,
  );
}

export async function run(): Promise<void> {
  // Per-prompt success rates spread over [0, 1] like a real batch, with some all-0 and all-1 groups.
  const rng = new Rng(42);
  const groups: Record<string, number>[][] = [];
  for (let i = 0; i < GROUPS; i++) {
    const rates = RULES.map(() => rng.next());
    const group: Record<string, number>[] = [];
    for (let j = 0; j < COMPLETIONS; j++) {
      group.push(
        Object.fromEntries(RULES.map((rule, k) => [rule, rng.next() < (rates[k] as number) ? 1 : 0])),
      );
    }
    groups.push(group);
  }
  const ws = createAdvantageWorkspace(RULES.length, GROUPS, COMPLETIONS);
  RULES.forEach((rule, k) =>
    groups.forEach((g, i) =>
      g.forEach((c, j) => (ws.rewards[(k * GROUPS + i) * COMPLETIONS + j] = c[rule] as number)),
    ),
  );

  console.log(
    `  ${GROUPS} groups × ${COMPLETIONS} completions, ${RULES.length} rules (decomposition); 300 warm-up, 2000 timed reps`,
  );
  let sink = 0; // keeps the results observable so no call is optimised away
  const estimator: EstimatorName = 'bnpo';
  report(
    'bnpo, object API (computeAdvantages)',
    time(() => (sink += computeAdvantages(groups, estimator).advantages.length), 300, 2000),
  );
  report(
    'bnpo, flat path (computeAdvantagesFlat)',
    time(
      () => {
        computeAdvantagesFlat(ws, estimator);
        sink += ws.advantages[0] as number;
      },
      300,
      2000,
    ),
  );
  for (const other of ['grpo', 'rloo', 'reinforcepp'] as const) {
    report(
      `${other}, flat path`,
      time(
        () => {
          computeAdvantagesFlat(ws, other);
          sink += ws.advantages[0] as number;
        },
        100,
        1000,
      ),
    );
  }
  if (Number.isNaN(sink)) console.log('  (non-finite advantages)');
  await Promise.resolve();
}
