// The studio's pure parts: CSV export, EMA smoothing, the panels' message schemas (what the pages and the host
// accept), the Beta-fit join of metrics and groups, the launch plan (arguments, environment, refusal when the
// workspace is untrusted, configurations from the palette's picks) and the run-config JSON Schema's freshness.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { metricsCsv } from '../../src/host/runs/csv';
import {
  QUICK_RUN,
  configFileFor,
  configFromPicks,
  trainArgs,
  trainEnv,
} from '../../src/host/runs/launchPlan';
import { BetaFitToHostSchema, HostToBetaFitSchema } from '../../src/protocol/betaFit';
import { betaFitSteps, toHeldOutColumns, toMetricColumns } from '../../src/host/panels/pageData';
import {
  DashboardToHostSchema,
  DashboardViewStateSchema,
  HostToDashboardSchema,
} from '../../src/protocol/dashboard';
import { resolveRunsFolder } from '../../src/host/config';
import { untrustedRefusal } from '../../src/host/trust';
import { RunConfigSchema } from '../../src/protocol/runConfig';
import { RUN_CONFIG_JSON_SCHEMA_FILE, runConfigJsonSchemaText } from '../../src/protocol/runConfigJsonSchema';
import type { EvalRecord } from '../../src/protocol/runDir';
import { HostToSamplesSchema, SamplesToHostSchema } from '../../src/protocol/samples';
import { metricsRecord, samplesRecord } from './studioFixtures';
import { alignColumns, decimateRows, ema, rowsForView } from '../../webview/dashboard/model';

const root = join(__dirname, '..', '..', '..');

function evalRecord(step: number, accuracy: number, phase: EvalRecord['phase']): EvalRecord {
  return {
    v: 1,
    step,
    time: '2026-11-26T10:00:00.000Z',
    phase,
    temperature: 0,
    size: 10,
    accuracy,
    rewards: {},
    examples: [],
  };
}

describe('CSV export', () => {
  it('writes a header and one row per run and step, with the held-out accuracy on its step', () => {
    const csv = metricsCsv([
      {
        id: 'run-a',
        rules: ['correct', 'format'],
        metrics: [metricsRecord(1), metricsRecord(2)],
        evals: [evalRecord(0, 0.1, 'base'), evalRecord(2, 0.4, 'rl')],
      },
      { id: 'run,"b"', rules: ['correct'], metrics: [metricsRecord(1, { loss: null })], evals: [] },
    ]);
    const lines = csv.split('\r\n');
    assert.equal(lines.at(-1), '', 'ends with a line break');
    const header = lines[0]!.split(',');
    assert.deepEqual(header.slice(0, 4), ['run', 'step', 'time', 'wall']);
    const col = (name: string) => header.indexOf(name);
    assert.ok(col('reward.correct') > 0 && col('reward.format') > 0 && col('beta.correct.alpha') > 0);
    const row1 = lines[1]!.split(',');
    assert.equal(row1[col('run')], 'run-a');
    assert.equal(row1[col('reward.correct')], '0.1');
    assert.equal(row1[col('heldOutAccuracy')], '', 'no evaluation after step 1');
    assert.equal(row1[col('beta.correct.alpha')], String(1.1666666666666667));
    assert.equal(row1[col('beta.format.guard')], 'zeroVariance');
    assert.equal(lines[2]!.split(',')[col('heldOutAccuracy')], '0.4');
    // A run id with a comma and quotes is quoted; a null loss and a rule the run lacks are empty cells.
    assert.ok(lines[3]!.startsWith('"run,""b""",1,'));
    assert.equal(lines.length, 5);
  });
});

describe('EMA smoothing', () => {
  it('is debiased (the first value is itself) and follows the recurrence', () => {
    const out = ema([1, 2, 3], 0.5);
    assert.equal(out[0], 1);
    // last = 0.5·(0.5·1) + 0.5·2 = 1.25, debias = 0.75 → 1.6667
    assert.ok(Math.abs(out[1]! - 1.25 / 0.75) < 1e-12);
    assert.ok(Math.abs(out[2]! - (0.5 * 1.25 + 1.5) / 0.875) < 1e-12);
  });

  it('passes nulls through without moving the average, and continues from a state', () => {
    const whole = ema([1, null, 3, 4], 0.6);
    assert.equal(whole[1], null);
    const state = { last: 0, debias: 0 };
    const parts = [...ema([1, null], 0.6, state), ...ema([3, 4], 0.6, state)];
    assert.deepEqual(parts, whole, 'appending rows gives the same curve as smoothing them all at once');
    assert.deepEqual(ema([5, 7], 0), [5, 7], 'weight 0 is the raw series');
  });
});

describe('panel messages', () => {
  it('the dashboard columns of metrics records are valid messages and keep the rules as series', () => {
    const metrics = toMetricColumns([metricsRecord(1), metricsRecord(2)], ['correct', 'format']);
    assert.deepEqual(metrics.step, [1, 2]);
    assert.deepEqual(metrics.series['rewards.correct'], [0.1, 0.2]);
    const heldOut = toHeldOutColumns(
      [evalRecord(0, 0.1, 'base'), evalRecord(2, 0.3, 'rl'), evalRecord(2, 0.3, 'final')],
      (s) => s * 1.5,
    );
    assert.deepEqual(heldOut.step, [0, 2], 'a final evaluation repeating a step is not drawn twice');
    const run = { id: 'r', label: 'r', status: 'running', rules: ['correct', 'format'], metrics, heldOut };
    assert.ok(HostToDashboardSchema.safeParse({ type: 'runs', runs: [run] }).success);
    assert.ok(HostToDashboardSchema.safeParse({ type: 'append', id: 'r', metrics, heldOut }).success);
  });

  it('rejects what a page or host must not accept', () => {
    const metrics = { step: [1, 2], wall: [1], series: {} };
    const heldOut = { step: [], wall: [], accuracy: [] };
    assert.equal(
      HostToDashboardSchema.safeParse({ type: 'append', id: 'r', metrics, heldOut }).success,
      false,
      'ragged columns',
    );
    const columns = (over: Record<string, unknown>) => ({
      type: 'append',
      id: 'r',
      metrics: { step: [1, 2], wall: [1, 2], series: { reward: [0.5, null] }, ...over },
      heldOut,
    });
    assert.ok(HostToDashboardSchema.safeParse(columns({})).success, 'a series may hold nulls');
    for (const [what, over] of [
      ['a string in a series', { series: { reward: [0.5, '1'] } }],
      ['a null step', { step: [1, null] }],
      ['an infinite wall time', { wall: [1, Infinity] }],
      ['a hole in a series', { series: { reward: new Array<number>(2).fill(0.5, 0, 1) } }],
      ['a series that is no array', { series: { reward: { 0: 1, 1: 2, length: 2 } } }],
      ['a time column of strings', { time: ['a', 'b'] }],
    ] as const)
      assert.equal(HostToDashboardSchema.safeParse(columns(over)).success, false, what);
    assert.equal(
      HostToDashboardSchema.safeParse({
        type: 'append',
        id: 'r',
        metrics: columns({}).metrics,
        heldOut: { step: [0], wall: [0], accuracy: [null] },
      }).success,
      false,
      'a held-out accuracy must be a number',
    );
    assert.equal(
      HostToDashboardSchema.safeParse({ type: 'status', id: 'r', status: 'exploded' }).success,
      false,
    );
    assert.equal(
      DashboardToHostSchema.safeParse({ type: 'runCommand', command: 'workbench.action.quit' }).success,
      false,
    );
    assert.ok(DashboardToHostSchema.safeParse({ type: 'exportCsv' }).success);
    assert.equal(
      BetaFitToHostSchema.safeParse({ type: 'ready', extra: 1 }).success,
      true,
      'unknown keys are stripped, not trusted',
    );
    assert.equal(SamplesToHostSchema.safeParse({}).success, false);
    assert.equal(
      HostToSamplesSchema.safeParse({ type: 'append', id: 'r', records: [{ step: 1 }] }).success,
      false,
    );
    assert.ok(
      HostToSamplesSchema.safeParse({ type: 'append', id: 'r', records: [samplesRecord(5)] }).success,
    );
  });

  it('view state fills defaults and refuses nonsense', () => {
    assert.deepEqual(DashboardViewStateSchema.parse({ runIds: ['a'] }), {
      runIds: ['a'],
      smoothing: 0.6,
      logScale: false,
      xAxis: 'step',
    });
    assert.equal(DashboardViewStateSchema.safeParse({ runIds: ['a'], smoothing: 3 }).success, false);
  });

  it('joins each step’s fit with its p̂ for the Beta-fit page', () => {
    const groups = [
      {
        v: 1 as const,
        step: 2,
        rules: ['correct'],
        groups: [
          { id: 'a', pHat: { correct: 0.25 } },
          { id: 'b', pHat: { correct: 0.75 } },
        ],
      },
    ];
    const steps = betaFitSteps([metricsRecord(1), metricsRecord(2)], groups, 4);
    assert.deepEqual(
      steps.map((s) => [s.step, s.pHat.correct]),
      [
        [1, []],
        [2, [0.25, 0.75]],
      ],
    );
    assert.equal(steps[1]!.fits.correct!.alpha, 1.1666666666666667);
    assert.deepEqual(
      betaFitSteps([metricsRecord(1), metricsRecord(2)], groups, 4, new Set([2])).map((s) => s.step),
      [2],
    );
    assert.ok(HostToBetaFitSchema.safeParse({ type: 'append', id: 'r', steps }).success);
  });
});

describe('launch plan', () => {
  it('refuses to launch or resume in an untrusted workspace, and says why', () => {
    assert.equal(untrustedRefusal(true, 'launch'), undefined);
    const message = untrustedRefusal(false, 'launch') ?? '';
    assert.match(message, /cannot launch/);
    assert.match(message, /not trusted/);
    assert.match(message, /executes code/);
    assert.match(untrustedRefusal(false, 'resume') ?? '', /cannot resume/);
  });

  it('runs the CLI bundle’s train command, new or resumed', () => {
    assert.deepEqual(
      trainArgs('/x/dist/cli.js', { kind: 'config', configFile: '/w/a.bnporun.json' }, '/w/.bnpo/runs'),
      ['/x/dist/cli.js', 'train', '--config', '/w/a.bnporun.json', '--out', '/w/.bnpo/runs'],
    );
    assert.deepEqual(
      trainArgs('/x/dist/cli.js', { kind: 'resume', runDir: '/w/.bnpo/runs/r1' }, '/ignored'),
      ['/x/dist/cli.js', 'train', '--resume', '/w/.bnpo/runs/r1'],
    );
  });

  it('builds the trainer’s environment explicitly', () => {
    const env = trainEnv({
      PATH: '/usr/bin',
      HOME: '/home/u',
      NODE_OPTIONS: '--inspect',
      VSCODE_IPC_HOOK: '/tmp/x.sock',
      CUDA_VISIBLE_DEVICES: '0',
      BNPO_TEST_RUN: 'tag',
    });
    assert.deepEqual(env, {
      PATH: '/usr/bin',
      HOME: '/home/u',
      CUDA_VISIBLE_DEVICES: '0',
      BNPO_TEST_RUN: 'tag',
      ELECTRON_RUN_AS_NODE: '1',
    });
  });

  it('turns the palette’s picks into a valid run configuration and a file name', () => {
    const picks = {
      source: { task: 'addition' as const },
      rules: undefined,
      estimator: 'grpo' as const,
      backend: 'cpu' as const,
      size: 'quick' as const,
    };
    const config = RunConfigSchema.parse(configFromPicks(picks));
    assert.equal(config.task, 'addition');
    assert.equal(config.estimator, 'grpo');
    assert.equal(config.backend, 'cpu');
    assert.equal(config.steps, QUICK_RUN.steps);
    assert.equal(
      configFileFor('/w/.bnpo/configs', picks),
      '/w/.bnpo/configs/addition-grpo-quick.bnporun.json',
    );
    const dataset = {
      ...picks,
      source: { dataset: '/w/data/train.jsonl' },
      rules: '/w/r.rewards.json',
      size: 'full' as const,
    };
    const parsed = RunConfigSchema.safeParse(configFromPicks(dataset));
    assert.ok(parsed.success);
    assert.equal(parsed.data.dataset?.train, '/w/data/train.jsonl');
    assert.equal(
      RunConfigSchema.safeParse({ ...configFromPicks(dataset), rules: undefined }).success,
      false,
      'a dataset needs rules',
    );
  });

  it('resolves the runs folder setting against the workspace', () => {
    assert.equal(resolveRunsFolder('.bnpo/runs', '/w'), '/w/.bnpo/runs');
    assert.equal(resolveRunsFolder('/abs/runs', '/w'), '/abs/runs');
    assert.equal(resolveRunsFolder('  ', '/w'), '/w/.bnpo/runs');
  });
});

describe('run-config JSON Schema', () => {
  it('the committed media/schemas/bnporun.schema.json matches the zod schema (run `npm run schemas` if not)', () => {
    const committed = readFileSync(join(root, RUN_CONFIG_JSON_SCHEMA_FILE), 'utf8');
    assert.equal(
      committed,
      runConfigJsonSchemaText(),
      `${RUN_CONFIG_JSON_SCHEMA_FILE} is stale: run \`npm run schemas\``,
    );
  });

  it('describes every field and allows comments', () => {
    const schema = JSON.parse(runConfigJsonSchemaText()) as {
      properties: Record<string, { description?: string }>;
      allowComments: boolean;
    };
    assert.equal(schema.allowComments, true);
    for (const [name, prop] of Object.entries(schema.properties)) {
      if (name === 'dataset' || name === 'clip' || name === 'eval' || name === 'model' || name === 'sft')
        continue;
      assert.ok(prop.description, `${name} has no description (hover would be empty)`);
    }
  });
});

describe('aligning chart tables', () => {
  it('merges ascending x values and leaves a series null where its table has no row', () => {
    const aligned = alignColumns([
      [
        [1, 2, 4],
        [10, 20, 40],
        [0.1, null, 0.4],
      ],
      [
        [0, 2, 5],
        [7, 8, 9],
      ],
    ]);
    assert.deepEqual(aligned, [
      [0, 1, 2, 4, 5],
      [null, 10, 20, 40, null],
      [null, 0.1, null, 0.4, null],
      [7, null, 8, null, 9],
    ]);
    const one: [number[], (number | null)[]] = [[1], [2]];
    assert.equal(alignColumns([one]), one, 'a single table is used as it is');
  });
});

describe('decimating chart rows', () => {
  it('keeps per bucket the first, last, lowest and highest point of every series, as whole rows', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((i) => (i === 123 ? 50 : i === 456 ? -50 : Math.sin(i / 10)));
    const other = xs.map((i) => (i === 789 ? 9 : i % 7 === 0 ? null : 0));
    const out = decimateRows([xs, ys, other], 10);
    assert.ok(out[0].length < 120, `kept ${out[0].length} of 1000 rows`);
    assert.ok(out[0].includes(0) && out[0].includes(999), 'first and last rows');
    for (const x of [123, 456, 789]) assert.ok(out[0].includes(x), `the extreme at ${x} is kept`);
    // Rows are whole: each kept x carries its own values.
    out[0].forEach((x, i) => {
      assert.equal(out[1]![i], ys[x]);
      assert.equal(out[2]![i], other[x]);
    });
    const small: [number[], (number | null)[]] = [
      [1, 2, 3],
      [1, 2, 3],
    ];
    assert.equal(decimateRows(small, 10), small, 'a table the width can show whole is used as it is');
  });

  it('gives a zoomed chart every row inside its range and a few outside', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const ys = xs.map((i) => i % 3);
    const out = rowsForView([xs, ys], 100, 5000, 5100);
    const inside = out[0].filter((x) => x >= 5000 && x <= 5100);
    assert.equal(inside.length, 101, 'all 101 rows of a 100-step window on a 100-pixel chart');
    assert.ok(out[0][0] === 0 && out[0].at(-1) === 9999, 'the whole range is still there');
    assert.ok(out[0].length < 400);
    assert.deepEqual(
      [...out[0]].sort((a, b) => a - b),
      out[0],
      'ascending',
    );
  });
});
