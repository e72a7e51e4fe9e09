// The runs table's page model: columns from real run folders (built-in, verl and TRL fixtures) as the host sends
// them, sorting, filtering, grouping with mean ± std, colours and what Compare asks for.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { runsTableRun } from '../../src/host/panels/pageData';
import type { RunsTableRun, RunsTableViewState } from '../../src/protocol/runsTable';
import {
  HostToRunsTableSchema,
  RunsTableToHostSchema,
  RunsTableViewStateSchema,
} from '../../src/protocol/runsTable';
import { RunFollower } from '../../src/runDir/follower';
import type { TableRow } from '../../webview/runsTable/model';
import {
  cellMatches,
  colourIndex,
  compareRequest,
  filterRows,
  formatCount,
  formatRate,
  groupRows,
  nextSort,
  shownRows,
  sortRows,
  spread,
  tableRow,
} from '../../webview/runsTable/model';
import { runInfo } from './studioFixtures';

const FIXTURES = path.join(__dirname, '..', '..', '..', 'test', 'fixtures');
const FOLDERS = {
  studio: path.join(FIXTURES, 'studio', 'sorting-demo-run'),
  verl: path.join(FIXTURES, 'verl-run'),
  trl: path.join(FIXTURES, 'trl-run'),
};

/** A fixture folder as the page receives it: followed, sent, validated on arrival. */
function received(dir: string): RunsTableRun {
  const follower = new RunFollower(dir, () => false);
  follower.poll();
  const message = HostToRunsTableSchema.parse({ type: 'run', run: runsTableRun(follower) });
  assert.equal(message.type, 'run');
  return message.run;
}

function lastReward(dir: string): number {
  const lines = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  return (JSON.parse(lines[lines.length - 1]!) as { reward: number }).reward;
}

/** A run with these config fields and results. */
function run(
  id: string,
  config: Record<string, unknown>,
  results: { reward?: number | null; accuracy?: number | null } = {},
): TableRow {
  const info = runInfo({ id, createdAt: `2026-11-26T10:00:0${id.length % 10}.000Z` });
  return tableRow({
    id,
    dir: `/runs/${id}`,
    status: 'completed',
    info: { ...info, config: { ...info.config, ...config } },
    problem: null,
    lastReward: results.reward ?? null,
    lastAccuracy: results.accuracy ?? null,
  });
}

const ids = (rows: readonly TableRow[]): string[] => rows.map((r) => r.id);

describe('runs table model: columns from run.json', () => {
  it('reads a built-in run folder: config columns, backend chosen, final reward and accuracy', () => {
    const row = tableRow(received(FOLDERS.studio));
    const text = Object.fromEntries(Object.entries(row.cells).map(([k, c]) => [k, c.text]));
    assert.deepEqual(text, {
      run: 'sorting-demo-run',
      status: 'completed',
      estimator: 'bnpo',
      data: 'sorting',
      model: 'built-in d64×2',
      groupSize: '8',
      lr: '5e-4',
      seed: '1',
      steps: '150/150',
      backend: 'wasm',
      reward: lastReward(FOLDERS.studio).toFixed(3),
      accuracy: '0.852',
      created: '2026-11-26',
    });
    assert.equal(row.cells.reward.value, lastReward(FOLDERS.studio));
    assert.equal(row.cells.steps.value, 150);
  });

  it('reads verl and TRL run folders: dataset file, their lr and seed, no held-out accuracy when none was run', () => {
    const verl = tableRow(received(FOLDERS.verl)).cells;
    assert.equal(verl.data.text, 'train.parquet');
    assert.equal(verl.data.title, '/data/math/train.parquet');
    assert.equal(verl.lr.text, '1e-6');
    assert.equal(verl.groupSize.value, 4);
    assert.equal(verl.backend.text, 'auto');
    assert.equal(verl.steps.text, '4/4');
    assert.equal(verl.reward.value, lastReward(FOLDERS.verl));
    const trl = tableRow(received(FOLDERS.trl)).cells;
    assert.equal(trl.seed.value, 3);
    assert.equal(trl.lr.text, '1e-3');
    assert.equal(trl.data.text, 'digits');
    assert.equal(trl.accuracy.value, null);
    assert.equal(trl.accuracy.text, '–');
    // The name the TRL callback recorded is found by the text filter, through the run's hover text.
    assert.equal(trl.run.title, `trl-e2e\n${FOLDERS.trl}`);
    assert.deepEqual(
      filterRows([tableRow(received(FOLDERS.trl)), tableRow(received(FOLDERS.verl))], 'trl-e2e', {}).map(
        (r) => r.id,
      ),
      ['trl-run'],
    );
  });

  it('shows the recorded model identity when run.json has one, else the built-in size', () => {
    const info = runInfo();
    const base: RunsTableRun = {
      id: 'r',
      dir: '/runs/r',
      status: 'running',
      info,
      problem: null,
      lastReward: null,
      lastAccuracy: 0.25,
    };
    const modelInfo = { architecture: 'qwen2', parameters: 494_032_768, path: '/models/qwen2-0.5b' };
    const withIdentity = tableRow({ ...base, info: { ...info, modelInfo } as typeof info });
    assert.deepEqual(withIdentity.cells.model, {
      text: 'qwen2 · 494M',
      value: 494_032_768,
      title: '/models/qwen2-0.5b',
    });
    assert.equal(tableRow(base).cells.model.text, 'built-in d64×2');
    assert.equal(tableRow(base).cells.accuracy.text, '0.250', 'the latest evaluation until a final one');
    assert.equal(tableRow(base).cells.reward.text, '–');
  });

  it('a run without a readable run.json keeps its id, status and problem, every config cell unknown', () => {
    const row = tableRow({
      id: 'broken',
      dir: '/runs/broken',
      status: 'failed',
      info: null,
      problem: 'run.json: line 3: unexpected end',
      lastReward: null,
      lastAccuracy: null,
    });
    assert.equal(row.cells.run.title, 'run.json: line 3: unexpected end');
    assert.equal(row.cells.status.text, 'failed');
    assert.equal(row.cells.estimator.value, null);
    assert.equal(row.cells.lr.text, '–');
  });

  it('formats rates and counts', () => {
    assert.deepEqual([5e-4, 1e-6, 0.001, 3e-5, 0.0015].map(formatRate), [
      '5e-4',
      '1e-6',
      '1e-3',
      '3e-5',
      '1.5e-3',
    ]);
    assert.deepEqual([999, 1500, 494_032_768, 7_000_000_000].map(formatCount), ['999', '1.5k', '494M', '7B']);
  });
});

describe('runs table model: sort, filter', () => {
  const rows = [
    run('a', { estimator: 'bnpo', lr: 5e-4, seed: 2 }, { reward: 0.5 }),
    run('b', { estimator: 'grpo', lr: 1e-3, seed: 10 }, { reward: null }),
    run('c', { estimator: 'bnpo', lr: 1e-4, seed: 1 }, { reward: 0.9 }),
    run('d', { estimator: 'reinforce', lr: 5e-4, seed: 3 }, { reward: 0.7 }),
  ];

  it('sorts numbers as numbers, unknown values last in both directions, ties by run id', () => {
    assert.deepEqual(ids(sortRows(rows, { column: 'reward', direction: 'ascending' })), ['a', 'd', 'c', 'b']);
    assert.deepEqual(ids(sortRows(rows, { column: 'reward', direction: 'descending' })), [
      'c',
      'd',
      'a',
      'b',
    ]);
    assert.deepEqual(ids(sortRows(rows, { column: 'seed', direction: 'ascending' })), ['c', 'a', 'd', 'b']);
    assert.deepEqual(ids(sortRows(rows, { column: 'lr', direction: 'descending' })), ['b', 'a', 'd', 'c']);
    assert.deepEqual(ids(sortRows(rows, { column: 'estimator', direction: 'ascending' })), [
      'a',
      'c',
      'b',
      'd',
    ]);
  });

  it('clicking a header flips the sorted column, starts others ascending (numbers descending)', () => {
    const sort = { column: 'reward', direction: 'descending' } as const;
    assert.deepEqual(nextSort(sort, 'reward'), { column: 'reward', direction: 'ascending' });
    assert.deepEqual(nextSort(sort, 'estimator'), { column: 'estimator', direction: 'ascending' });
    assert.deepEqual(nextSort(sort, 'lr'), { column: 'lr', direction: 'descending' });
  });

  it('filters by text in any cell or the folder, case-insensitively', () => {
    assert.deepEqual(ids(filterRows(rows, 'BNPO', {})), ['a', 'c']);
    assert.deepEqual(ids(filterRows(rows, '/runs/d', {})), ['d']);
    assert.deepEqual(ids(filterRows(rows, '  ', {})), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids(filterRows(rows, 'nothing like it', {})), []);
  });

  it('filters per column: comparisons on numbers, exact or substring on text, all filters together', () => {
    assert.deepEqual(ids(filterRows(rows, '', { reward: '>0.6' })), ['c', 'd']);
    assert.deepEqual(ids(filterRows(rows, '', { reward: '>=0.5', lr: '=5e-4' })), ['a', 'd']);
    assert.deepEqual(ids(filterRows(rows, '', { seed: '!=10' })), ['a', 'c', 'd']);
    assert.deepEqual(ids(filterRows(rows, '', { seed: '<3' })), ['a', 'c']);
    assert.deepEqual(ids(filterRows(rows, '', { estimator: 'o' })), ['a', 'b', 'c', 'd']);
    assert.deepEqual(ids(filterRows(rows, '', { estimator: '=bnpo' })), ['a', 'c']);
    assert.deepEqual(ids(filterRows(rows, '', { estimator: '!=bnpo' })), ['b', 'd']);
    assert.deepEqual(ids(filterRows(rows, 'bnpo', { seed: '>1' })), ['a']);
    // An unknown value never passes a comparison; text that is not a number is a substring filter.
    assert.equal(cellMatches(rows[1]!.cells.reward, 'reward', '<1'), false);
    assert.equal(cellMatches(rows[0]!.cells.lr, 'lr', '5e'), true);
  });

  it('shownRows filters, then sorts, as the view state says', () => {
    const state: RunsTableViewState = RunsTableViewStateSchema.parse({
      sort: { column: 'reward', direction: 'descending' },
      columnFilters: { estimator: '=bnpo' },
    });
    assert.deepEqual(ids(shownRows(rows, state)), ['c', 'a']);
  });
});

describe('runs table model: group, colour, compare', () => {
  // Two estimators over three seeds each, plus a run still without a reward.
  const rows = [
    run('bnpo-s1', { estimator: 'bnpo', seed: 1 }, { reward: 0.8, accuracy: 0.6 }),
    run('bnpo-s2', { estimator: 'bnpo', seed: 2 }, { reward: 0.9, accuracy: 0.7 }),
    run('bnpo-s3', { estimator: 'bnpo', seed: 3 }, { reward: 0.7, accuracy: 0.5 }),
    run('grpo-s1', { estimator: 'grpo', seed: 1 }, { reward: 0.6, accuracy: 0.4 }),
    run('grpo-s2', { estimator: 'grpo', seed: 2 }, { reward: 0.4, accuracy: null }),
    run('grpo-s3', { estimator: 'grpo', seed: 3 }, { reward: null, accuracy: null }),
  ];

  it('groups by a column with each group mean ± sample std over the runs that have a value', () => {
    const groups = groupRows(rows, 'estimator');
    assert.deepEqual(
      groups.map((g) => [g.key, ids(g.rows)]),
      [
        ['bnpo', ['bnpo-s1', 'bnpo-s2', 'bnpo-s3']],
        ['grpo', ['grpo-s1', 'grpo-s2', 'grpo-s3']],
      ],
    );
    const [bnpo, grpo] = groups;
    assert.equal(bnpo!.reward.n, 3);
    assert.ok(Math.abs(bnpo!.reward.mean! - 0.8) < 1e-12);
    assert.ok(Math.abs(bnpo!.reward.std! - 0.1) < 1e-12);
    assert.equal(grpo!.reward.n, 2);
    assert.ok(Math.abs(grpo!.reward.mean! - 0.5) < 1e-12);
    assert.ok(Math.abs(grpo!.reward.std! - Math.sqrt(0.02)) < 1e-12);
    assert.deepEqual(grpo!.accuracy, { n: 1, mean: 0.4, std: null });
    assert.deepEqual(spread([null]), { n: 0, mean: null, std: null });
    assert.deepEqual(
      groupRows(rows, 'seed').map((g) => g.key),
      ['1', '2', '3'],
    );
  });

  it('gives each value of the colour-by column one palette colour, unchanged by filtering, reused past the palette', () => {
    const bySeed = colourIndex(rows, 'seed', 6);
    assert.deepEqual(
      [...bySeed],
      [
        ['1', 0],
        ['2', 1],
        ['3', 2],
      ],
    );
    const byRun = colourIndex(rows, 'run', 4);
    assert.deepEqual([...byRun.values()], [0, 1, 2, 3, 0, 1]);
    const filtered = filterRows(rows, 'grpo', {});
    const byEstimator = colourIndex(rows, 'estimator', 6);
    assert.equal(
      byEstimator.get(filtered[0]!.cells.estimator.text),
      1,
      'grpo keeps its colour when bnpo is hidden',
    );
    assert.equal(colourIndex(rows, 'reward', 6).get('–'), 5, 'unknown values come last');
  });

  it('Compare takes two or more selected rows among those shown', () => {
    assert.equal(compareRequest(rows, ['bnpo-s1'], null), undefined);
    assert.deepEqual(compareRequest(rows, ['grpo-s1', 'bnpo-s1'], null), { runIds: ['bnpo-s1', 'grpo-s1'] });
    const shown = filterRows(rows, 'bnpo', {});
    assert.equal(
      compareRequest(shown, ['bnpo-s1', 'grpo-s1'], null),
      undefined,
      'a hidden row is not compared',
    );
  });

  it('grouped, Compare sends one group per value: of the selection, else of every shown row', () => {
    assert.deepEqual(compareRequest(rows, [], 'estimator'), {
      runIds: ids(rows),
      groups: [
        { label: 'Estimator bnpo', runIds: ['bnpo-s1', 'bnpo-s2', 'bnpo-s3'] },
        { label: 'Estimator grpo', runIds: ['grpo-s1', 'grpo-s2', 'grpo-s3'] },
      ],
    });
    assert.deepEqual(compareRequest(rows, ['bnpo-s1', 'grpo-s1', 'grpo-s2'], 'estimator'), {
      runIds: ['bnpo-s1', 'grpo-s1', 'grpo-s2'],
      groups: [
        { label: 'Estimator bnpo', runIds: ['bnpo-s1'] },
        { label: 'Estimator grpo', runIds: ['grpo-s1', 'grpo-s2'] },
      ],
    });
    assert.equal(compareRequest([], [], 'estimator'), undefined);
    assert.equal(
      compareRequest(rows.slice(0, 1), [], 'estimator'),
      undefined,
      'one run is nothing to compare',
    );
    // A long value still makes a label the protocol accepts.
    const long = [
      run('x', { dataset: { train: `${'d'.repeat(300)}.jsonl`, heldOutFraction: 0.1 } }),
      run('y', {}),
    ];
    const request = compareRequest(long, [], 'data');
    assert.deepEqual(
      request?.groups?.map((g) => g.label.length),
      [23, 200],
    );
    assert.ok(RunsTableToHostSchema.safeParse({ type: 'compare', ...request }).success);
  });
});

describe('runs table protocol', () => {
  it('rejects malformed page messages and fills the view state defaults', () => {
    assert.equal(RunsTableToHostSchema.safeParse({ type: 'compare', runIds: [] }).success, false);
    assert.equal(
      RunsTableToHostSchema.safeParse({
        type: 'compare',
        runIds: ['a'],
        groups: [{ label: 'x', runIds: [] }],
      }).success,
      false,
    );
    assert.equal(RunsTableToHostSchema.safeParse({ type: 'open', runId: 7 }).success, false);
    assert.equal(RunsTableToHostSchema.safeParse({ type: 'compare', runIds: ['a', 'b'] }).success, true);
    assert.equal(
      RunsTableViewStateSchema.safeParse({ sort: { column: 'nope', direction: 'ascending' } }).success,
      false,
    );
    assert.deepEqual(RunsTableViewStateSchema.parse({}), {
      sort: { column: 'created', direction: 'descending' },
      text: '',
      columnFilters: {},
      colourBy: null,
      groupBy: null,
      selected: [],
    });
  });
});
