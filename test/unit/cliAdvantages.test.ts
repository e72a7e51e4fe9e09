import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AdvantagesOutput } from '../../src/protocol/advantages';
import { advantagesOutputSchema } from '../../src/protocol/advantages';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');

/** The sources this command is bundled from; a dist/cli.js older than any of them is rebuilt before testing. */
const sources = [
  'src/cli/main.ts',
  'src/cli/advantages.ts',
  'src/protocol/advantages.ts',
  'src/core/estimators.ts',
  'src/core/special.ts',
];

before(() => {
  const newest = Math.max(...sources.map((s) => statSync(path.join(root, s)).mtimeMs));
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, `node esbuild.js failed:\n${build.stderr}`);
  }
});

let scratch = '';
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'bnpo-cli-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/cli.js advantages ...args` with `stdin` piped in (asynchronously, so tests can overlap). */
function bnpo(args: string[], stdin?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'advantages', ...args], { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

async function ok(args: string[], stdin?: string): Promise<AdvantagesOutput> {
  const run = await bnpo(args, stdin);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
  return advantagesOutputSchema.parse(JSON.parse(run.stdout));
}

/** Exit status 2, nothing on stdout, exactly one line on stderr containing every expected fragment. */
async function fails(
  args: string[],
  stdin: string | undefined,
  ...fragments: (string | RegExp)[]
): Promise<void> {
  const run = await bnpo(args, stdin);
  assert.equal(run.status, 2, `expected exit 2, got ${run.status}; stderr: ${run.stderr}`);
  assert.equal(run.stdout, '');
  assert.ok(run.stderr.endsWith('\n'), 'stderr ends with a newline');
  const line = run.stderr.slice(0, -1);
  assert.ok(!line.includes('\n'), `more than one line on stderr:\n${run.stderr}`);
  for (const f of fragments) {
    if (typeof f === 'string') assert.ok(line.includes(f), `'${line}' does not mention '${f}'`);
    else assert.match(line, f);
  }
}

describe('bnpo advantages: the JSON contract', { concurrency: true }, () => {
  it('reproduces the golden vector from the example file', async () => {
    const out = await ok(['--input', 'media/examples/groups.json']);
    assert.equal(out.estimator, 'bnpo');
    const expected = [
      [0.67298, -0.224327, -0.224327, -0.224327],
      [0.447437, 0.447437, -0.447437, -0.447437],
      [0.251525, 0.251525, 0.251525, -0.754575],
      [0, 0, 0, 0],
    ];
    expected.forEach((row, i) =>
      row.forEach((v, j) =>
        assert.ok(Math.abs((out.advantages[i]?.[j] as number) - v) <= 1e-6, `A[${i}][${j}]`),
      ),
    );
    assert.deepEqual(Object.keys(out.stats), ['reward']);
    const s = out.stats.reward;
    assert.deepEqual(s?.pHat, [0.25, 0.5, 0.75, 0]);
    assert.equal(s?.mean, 0.375);
    assert.ok(Math.abs(s?.var - 0.1041667) < 1e-7);
    assert.equal(s?.a, 0.46875);
    assert.equal(s?.b, 0.78125);
    assert.equal(s?.alpha, 1.15625);
    assert.ok(Math.abs(s?.beta - 1.2604167) < 1e-7);
    assert.equal(s?.guard, null);
  });

  it('reads stdin when --input is absent or "-", and the output has exactly the contract keys', async () => {
    const input = '{"groups": [[1,0,0,0],[1,1,0,0],[1,1,1,0],[0,0,0,0]]}';
    const [fromStdin, fromDash, fromFile] = await Promise.all([
      bnpo([], input),
      bnpo(['--input', '-'], input),
      bnpo(['--input', 'media/examples/groups.json']),
    ]);
    assert.equal(fromStdin.stdout, fromFile.stdout);
    assert.equal(fromDash.stdout, fromFile.stdout);
    const raw = JSON.parse(fromStdin.stdout) as Record<string, unknown>;
    assert.deepEqual(Object.keys(raw).sort(), ['advantages', 'estimator', 'stats']);
  });

  it('several rules: per-rule stats and the mean of per-rule advantages', async () => {
    const groups = [
      [
        { accuracy: 1, format: 1 },
        { accuracy: 0, format: 1 },
        { accuracy: 0, format: 0 },
      ],
      [
        { accuracy: 1, format: 0 },
        { accuracy: 1, format: 1 },
        { accuracy: 0, format: 1 },
      ],
    ];
    const out = await ok(['--estimator', 'reinforce'], JSON.stringify({ groups }));
    assert.equal(out.estimator, 'reinforce');
    assert.deepEqual(Object.keys(out.stats), ['accuracy', 'format']);
    assert.deepEqual(out.stats.accuracy?.pHat, [1 / 3, 2 / 3]);
    assert.deepEqual(out.stats.format?.pHat, [2 / 3, 2 / 3]);
    // REINFORCE per rule is R − p̂; combined is their mean.
    const expected = groups.map((g, i) =>
      g.map((c) => (c.accuracy - [1 / 3, 2 / 3][i]! + (c.format - 2 / 3)) / 2),
    );
    out.advantages.forEach((row, i) =>
      row.forEach((a, j) => assert.ok(Math.abs(a - (expected[i]?.[j] as number)) < 1e-15, `[${i}][${j}]`)),
    );
  });

  it('accepts every estimator', async () => {
    const names = ['bnpo', 'reinforce', 'grpo', 'drgrpo', 'rloo', 'reinforcepp'];
    const outs = await Promise.all(names.map((e) => ok(['--estimator', e], '{"groups": [[1,0,1],[0,0,1]]}')));
    outs.forEach((out, k) => {
      assert.equal(out.estimator, names[k]);
      assert.equal(out.advantages.length, 2);
    });
  });

  it('"lengths": REINFORCE++ whitens per token (verl), the others ignore it; one advantage per completion', async () => {
    const input = '{"groups": [[1,0],[0,0]], "lengths": [[3,5],[2,4]]}';
    const out = await ok(['--estimator', 'reinforcepp'], input);
    // 14 tokens, μ = 3/14, unbiased token variance (462/196)/13 (hand-computed in estimators.test.ts).
    const scale = 1 / Math.sqrt(462 / 196 / 13 + 1e-8);
    const expected = [
      [(11 / 14) * scale, (-3 / 14) * scale],
      [(-3 / 14) * scale, (-3 / 14) * scale],
    ];
    out.advantages.forEach((row, i) =>
      row.forEach((x, j) => assert.ok(Math.abs(x - expected[i]![j]!) < 1e-12, `${i},${j}: ${x}`)),
    );
    const perCompletion = await ok(['--estimator', 'reinforcepp'], '{"groups": [[1,0],[0,0]]}');
    assert.notDeepEqual(perCompletion.advantages, out.advantages);
    assert.deepEqual(await ok([], input), await ok([], '{"groups": [[1,0],[0,0]]}'));
  });

  it('--range lo,hi rescales rewards to (r − lo)/(hi − lo)', async () => {
    const scaled = await ok(['--range', '0,10'], '{"groups": [[0,10,5],[10,10,2.5]]}');
    const plain = await ok([], '{"groups": [[0,1,0.5],[1,1,0.25]]}');
    assert.deepEqual(scaled, plain);
    assert.deepEqual((await ok(['--range=-1,1'], '{"groups": [[-1,1],[1,1]]}')).stats.reward?.pHat, [0.5, 1]);
    await fails(['--range', '-1,1'], '{"groups": [[-1,1],[1,1]]}', 'ambiguous', '--range=-XYZ');
  });

  it('tolerates a UTF-8 byte-order mark', async () => {
    const out = await ok([], '\uFEFF{"groups": [[1,0],[0,0]]}');
    assert.deepEqual(out.stats.reward?.pHat, [0.5, 0]);
  });

  it('a guarded fit reports its flag with a and b null', async () => {
    const out = await ok([], '{"groups": [[1,0],[0,1]]}');
    assert.equal(out.stats.reward?.guard, 'zeroVariance');
    assert.equal(out.stats.reward?.a, null);
    assert.equal(out.stats.reward?.b, null);
    assert.equal(out.stats.reward?.alpha, 1);
  });

  it('--help prints the usage and exits 0', async () => {
    const run = await bnpo(['--help']);
    assert.equal(run.status, 0);
    assert.match(
      run.stdout,
      /^usage: bnpo advantages \[--input FILE\] \[--estimator NAME\] \[--range lo,hi\]/,
    );
    assert.match(run.stdout, /bnpo \| reinforce \| grpo \| drgrpo \| rloo \| reinforcepp/);
  });
});

describe(
  'bnpo advantages: bad input exits 2 with one line saying what and where',
  { concurrency: true },
  () => {
    it('not JSON: names the line and column', async () => {
      await fails([], '{"groups": [\n  [1, 0],\n  [0, 1],,\n]}', '<stdin>:3:10:', 'not valid JSON');
    });

    it('not JSON in a file: names the file', async () => {
      const file = path.join(scratch, 'broken.json');
      writeFileSync(file, '{"groups": [[1, 0], [0 1]]}');
      await fails(['--input', file], undefined, `${file}:1:24:`, 'not valid JSON', 'comma expected');
    });

    it('empty input', async () => await fails([], '', 'input is empty'));
    it('not an object', async () => await fails([], '[[1,0]]', '<stdin>:1:1:', 'expected a JSON object'));
    it('missing groups', async () => await fails([], '{"group": [[1,0]]}', 'missing "groups"'));
    it('empty groups', async () => await fails([], '{"groups": []}', 'groups is empty'));
    it('an empty group', async () =>
      await fails([], '{"groups": [[1,0], []]}', '<stdin>:1:20:', 'group 1 is empty'));

    it('ragged groups', async () => {
      await fails([], '{"groups": [[1,0,1], [0,1,1], [1,0]]}', 'group 2 has 2 completions but group 0 has 3');
    });

    it('lengths of the wrong shape or not token counts name where', async () => {
      await fails(
        [],
        '{"groups": [[1,0],[0,1]], "lengths": [[3,5]]}',
        'lengths has 1 groups but groups has 2',
      );
      await fails(
        [],
        '{"groups": [[1,0],[0,1]], "lengths": [[3,5],[2]]}',
        '<stdin>:1:45:',
        'lengths group 1 has 1 entries',
      );
      await fails(
        [],
        '{"groups": [[1,0],[0,1]], "lengths": [[3,0],[2,4]]}',
        '<stdin>:1:42:',
        'lengths group 0, sample 1:',
        'token count',
      );
    });

    it('a group of size 1', async () => {
      await fails([], '{"groups": [[1,0], [1]]}', 'group 1 has 1 completion', 'at least 2');
    });

    it('a reward outside [0,1] without --range', async () => {
      await fails(
        [],
        '{"groups": [[1,0],\n [0, 1.5]]}',
        '<stdin>:2:6:',
        'group 1, sample 1',
        'reward 1.5 is outside [0, 1]',
        '--range',
      );
    });

    it('a reward outside --range', async () => {
      await fails(
        ['--range', '0,5'],
        '{"groups": [[1,0],[0,7]]}',
        'group 1, sample 1',
        'reward 7 is outside --range 0,5',
      );
    });

    it('a reward of the wrong type', async () => {
      await fails([], '{"groups": [[1,0],[0,"1"]]}', 'group 1, sample 1', 'expected a reward number');
    });

    it('inconsistent rule keys', async () => {
      await fails(
        [],
        '{"groups": [[{"accuracy":1,"format":1},{"accuracy":0,"format":1}],[{"accuracy":1},{"accuracy":0,"format":0}]]}',
        'group 1, sample 0 has rules {accuracy} but group 0, sample 0 has {accuracy, format}',
      );
    });

    it('a rule reward out of range names the rule', async () => {
      await fails(
        [],
        '{"groups": [[{"accuracy":1,"format":2},{"accuracy":0,"format":1}]]}',
        "group 0, sample 0, rule 'format'",
      );
    });

    it('unknown estimator', async () => {
      await fails(
        ['--estimator', 'ppo'],
        '{"groups": [[1,0]]}',
        "unknown estimator 'ppo'",
        'bnpo, reinforce, grpo',
      );
    });

    it('bad --range', async () => {
      await fails(['--range', '1'], '{"groups": [[1,0]]}', "--range '1' is not two numbers");
      await fails(['--range', '5,1'], '{"groups": [[1,0]]}', 'lo < hi');
    });

    it('missing input file', async () => {
      await fails(
        ['--input', path.join(scratch, 'nope.json')],
        undefined,
        'cannot read --input',
        'nope.json',
      );
    });

    it('unknown option', async () => await fails(['--bogus'], '', "Unknown option '--bogus'"));
  },
);
