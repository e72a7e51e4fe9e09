// What the run audit (src/core/rules/auditRun.ts) costs next to the step it audits (goal: under 5 %): a short
// in-process training run, then each step's completions audited again from its samples.jsonl, the audit's median
// time beside the step's own (sampling + scoring + advantages + update). Then a verl-sized batch on its own.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AuditItem } from '../../src/core/rules/auditRun';
import { auditSetup, RunAudit } from '../../src/core/rules/auditRun';
import { compileRuleFile } from '../../src/core/rules/check';
import { MetricsRecordSchema, RunInfoSchema, SamplesRecordSchema } from '../../src/protocol/runDir';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { readJsonlFile } from '../../src/runDir/jsonl';
import { runFile } from '../../src/runDir/layout';
import { loadRulesFile } from '../../src/trainer/rulesFile';
import { train } from '../../src/trainer/trainer';
import { registerGradientsForTests } from '../unit/trainerSetup';

const GOAL = 0.05;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function timeAudit(audit: () => RunAudit, step: number, items: readonly AuditItem[], reps: number): number {
  const times: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const a = audit();
    const t = performance.now();
    a.observe(step, items);
    if (r >= 2) times.push(performance.now() - t);
  }
  return median(times);
}

async function trainedRun(): Promise<string> {
  registerGradientsForTests();
  const runsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bnpo-bench-audit-'));
  const config = RunConfigSchema.parse({
    task: 'addition',
    steps: 6,
    promptsPerStep: 8,
    groupSize: 8,
    sft: { maxSteps: 20, batchSize: 32, evalEvery: 10 },
    eval: { every: 100, size: 16 },
    sampleEvery: 1,
    checkpointEvery: 100,
    seed: 5,
  });
  const r = await train({
    config,
    configFile: null,
    baseDir: path.resolve(__dirname, '..', '..', '..'),
    runsDir,
  });
  if (r.status !== 'completed') throw new Error(r.error ?? 'the bench run failed');
  return path.join(runsDir, fs.readdirSync(runsDir)[0]!);
}

async function againstSteps(): Promise<void> {
  const dir = await trainedRun();
  const info = RunInfoSchema.parse(JSON.parse(fs.readFileSync(runFile(dir, 'run'), 'utf8')));
  const { compiled } = await loadRulesFile(info.rulesFile);
  const setup = auditSetup(compiled.rules, 16, compiled.names[0] ?? null);
  const metrics = readJsonlFile(runFile(dir, 'metrics'), MetricsRecordSchema).records;
  const samples = readJsonlFile(runFile(dir, 'samples'), SamplesRecordSchema).records;
  const ratios: number[] = [];
  for (const m of metrics) {
    const groups = samples.filter((s) => s.step === m.step);
    const items = groups.flatMap((g, group) =>
      g.completions.map((c) => ({
        text: c.text,
        tokens: c.tokens,
        truncated: c.truncated,
        group,
        rewards: c.rewards,
      })),
    );
    const stepMs = m.timings.sampling + m.timings.scoring + m.timings.advantage + m.timings.update;
    const auditMs = timeAudit(() => new RunAudit(setup), m.step, items, 50);
    ratios.push(auditMs / stepMs);
    console.log(
      `  step ${m.step}: ${items.length} completions, step ${stepMs.toFixed(1)} ms, audit ${auditMs.toFixed(3)} ms` +
        ` (${(100 * (auditMs / stepMs)).toFixed(3)} %)`,
    );
  }
  const worst = Math.max(...ratios);
  console.log(
    `  audit / step time: median ${(100 * median(ratios)).toFixed(3)} %, worst ${(100 * worst).toFixed(3)} %` +
      ` (${worst < GOAL ? 'meets' : 'MISSES'} the ${100 * GOAL} % goal; backend ${info.backend?.name ?? '?'})`,
  );
}

function verlSized(): void {
  // 256 prompts × 8 completions of ~2,000 characters (≈ 500 tokens) of reasoning, a boxed answer, an answer tag.
  const rules = compileRuleFile({
    rules: [
      { name: 'format', kind: 'format', tags: ['think', 'answer'] },
      { name: 'accuracy', kind: 'answer', extract: { type: 'boxed' } },
      { name: 'tagged', kind: 'answer', extract: { type: 'tag', tag: 'answer' } },
      { name: 'last', kind: 'answer', extract: { type: 'lastNumber' } },
    ],
  }).rules;
  const setup = auditSetup(rules, 1024, 'accuracy');
  const words = 'so we add 12 and 30 then check the result again carefully before we answer'.split(' ');
  const items: AuditItem[] = [];
  for (let i = 0; i < 2048; i++) {
    const body = Array.from({ length: 380 }, (_, k) => words[(k * 7 + i) % words.length]).join(' ');
    items.push({
      text: `<think>${body}</think><answer>\\boxed{${i % 50}}</answer>`,
      tokens: 400 + (i % 700),
      group: Math.floor(i / 8),
      rewards: { format: 1, accuracy: i % 2, tagged: 0, last: i % 3 === 0 ? 1 : 0 },
    });
  }
  const ms = timeAudit(() => new RunAudit(setup), 1, items, 5);
  const chars = items.reduce((n, it) => n + it.text.length, 0);
  const tokens = items.reduce((n, it) => n + it.tokens, 0);
  console.log(
    `  verl-sized batch: ${items.length} completions, ${(chars / 1e6).toFixed(1)} M characters, audit ${ms.toFixed(1)} ms` +
      ` = ${((1000 * ms) / items.length).toFixed(0)} µs per completion, ${((1e6 * ms) / tokens).toFixed(2)} µs per` +
      ` completion token (no verl step was measured beside it here: that needs a GPU machine)`,
  );
}

export async function run(): Promise<void> {
  await againstSteps();
  verlSized();
}
