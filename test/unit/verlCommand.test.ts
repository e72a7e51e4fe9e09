import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { VerlRunConfigInput } from '../../src/protocol/verl';
import { VerlRunConfigSchema } from '../../src/protocol/verl';
import { VERL_JSON_SCHEMA_FILE, verlJsonSchemaText } from '../../src/verl/jsonSchema';
import { parseVerlConfig, VerlConfigError } from '../../src/verl/configFile';
import type { VerlCommand, VerlCommandContext } from '../../src/verl/command';
import {
  buildVerlCommand,
  hydraValue,
  resolveAgainst,
  shellQuote,
  verlRunDir,
  verlRunId,
} from '../../src/verl/command';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = path.join(root, 'dist', 'cli.js');
const example = path.join(root, 'engines', 'verl', 'examples', 'qwen2.5-math-7b.verl.json');
const sources = ['src/cli/main.ts', 'src/cli/verl.ts', 'src/protocol/verl.ts', 'src/verl/command.ts'];

before(() => {
  const newest = Math.max(...sources.map((s) => statSync(path.join(root, s)).mtimeMs));
  if (!existsSync(cli) || statSync(cli).mtimeMs < newest) {
    const build = spawnSync(process.execPath, ['esbuild.js'], { cwd: root, encoding: 'utf8' });
    assert.equal(build.status, 0, `node esbuild.js failed:\n${build.stderr}`);
  }
});

let scratch = '';
before(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'bnpo-verl-'));
});
after(() => rmSync(scratch, { recursive: true, force: true }));

const ctx: VerlCommandContext = {
  runDir: '/runs/r1',
  runId: 'r1',
  baseDir: '/work/cfg',
  defaultCli: '/ext/dist/cli.js',
  configFile: '/work/cfg/run.verl.json',
};

function overridesOf(command: VerlCommand): Map<string, string> {
  return new Map(
    command.overrides.map((o) => {
      const at = o.indexOf('=');
      return [o.slice(0, at), o.slice(at + 1)];
    }),
  );
}

/** What a POSIX shell makes of the printed command: its words, NUL-separated. */
function shellWords(shell: string): string[] {
  const done = spawnSync('/bin/sh', ['-c', `set -- ${shell}\nprintf '%s\\0' "$@"`], { encoding: 'utf8' });
  assert.equal(done.status, 0, done.stderr);
  return done.stdout.split('\0').slice(0, -1);
}

describe('the paper setting on 2 nodes (engines/verl/examples/qwen2.5-math-7b.verl.json)', () => {
  const config = parseVerlConfig(readFileSync(example, 'utf8'), example);
  const command = buildVerlCommand(config, { ...ctx, runDir: '/shared/bnpo-runs/q', runId: 'q' });
  const set = overridesOf(command);

  it('submits verl.trainer.main_ppo to the cluster with the plug-in env in the job runtime env', () => {
    assert.equal(command.mode, 'ray');
    assert.deepEqual(command.argv.slice(0, 5), [
      'ray',
      'job',
      'submit',
      '--address',
      'http://head-node:8265',
    ]);
    const json = command.argv[command.argv.indexOf('--runtime-env-json') + 1];
    assert.ok(json !== undefined);
    const runtime = JSON.parse(json) as { env_vars: Record<string, string> };
    assert.equal(
      runtime.env_vars.VERL_USE_EXTERNAL_MODULES,
      undefined,
      'the reward import registers the plug-in',
    );
    assert.equal(runtime.env_vars.BNPO_RUN_DIR, '/shared/bnpo-runs/q');
    assert.equal(runtime.env_vars.BNPO_RULES_FILE, '/shared/bnpo/math.rewards.json');
    assert.equal(runtime.env_vars.BNPO_CLI, '/shared/bnpo/cli.js');
    const dash = command.argv.indexOf('--');
    assert.deepEqual(command.argv.slice(dash + 1, dash + 4), ['python3', '-m', 'verl.trainer.main_ppo']);
    assert.deepEqual(command.argv.slice(dash + 4), command.overrides);
  });

  it("sets the paper's hyper-parameters and our estimator, reward and logger", () => {
    const expected: Record<string, string> = {
      'algorithm.adv_estimator': 'bnpo_beta',
      'actor_rollout_ref.model.path': 'Qwen/Qwen2.5-Math-7B',
      'actor_rollout_ref.rollout.n': '16',
      'data.train_batch_size': '32',
      'actor_rollout_ref.actor.ppo_mini_batch_size': '32',
      'actor_rollout_ref.actor.optim.lr': '0.000001',
      'actor_rollout_ref.actor.clip_ratio_low': '0.2',
      'actor_rollout_ref.actor.clip_ratio_high': '0.28',
      'actor_rollout_ref.actor.clip_ratio_c': '10',
      'actor_rollout_ref.actor.loss_agg_mode': 'seq-mean-token-sum',
      'actor_rollout_ref.actor.use_kl_loss': 'False',
      'actor_rollout_ref.rollout.temperature': '1',
      'actor_rollout_ref.rollout.val_kwargs.temperature': '0.6',
      'reward_model.reward_manager': 'batch',
      'reward_model.use_reward_loop': 'False',
      'custom_reward_function.path': "'pkg://bnpo_verl.reward'",
      'custom_reward_function.name': 'compute_score',
      'trainer.logger': '[console,bnpo]',
      'trainer.nnodes': '2',
      'trainer.n_gpus_per_node': '8',
      'trainer.default_local_dir': '/shared/bnpo-runs/q/verl-checkpoints',
      'data.train_files': '/shared/data/math/train.parquet',
      'data.val_files': '/shared/data/math/test.parquet',
    };
    for (const [key, value] of Object.entries(expected)) assert.equal(set.get(key), value, key);
  });

  it('is the command docs/scale-out.md shows (config copied to /shared/bnpo)', () => {
    const where = { baseDir: '/shared/bnpo', runsFolder: '/unused', runId: 'qwen2.5-math-7b-bnpo' };
    const documented = buildVerlCommand(config, {
      ...where,
      runDir: verlRunDir(config, where),
      defaultCli: '/unused/cli.js',
      configFile: '/shared/bnpo/qwen2.5-math-7b.verl.json',
    });
    const docs = readFileSync(path.join(root, 'docs', 'scale-out.md'), 'utf8');
    assert.ok(
      docs.includes(`\n${documented.shell}\n`),
      'docs/scale-out.md shows a stale command: regenerate it',
    );
  });

  it('prints a shell form that a shell splits back into exactly the argv', () => {
    assert.deepEqual(shellWords(command.shell), command.argv);
  });
});

describe('a local run', () => {
  const config = VerlRunConfigSchema.parse({
    model: '/models/tiny model',
    trainFiles: 'data/train.parquet',
    rules: '../rules/math.rewards.json',
    groupSize: 4,
    promptsPerStep: 8,
    extraArgs: ['trainer.val_before_train=False'],
  } satisfies VerlRunConfigInput);
  const command = buildVerlCommand(config, ctx);
  const set = overridesOf(command);

  it('runs python with the plug-in env and this extension’s CLI for the rules server', () => {
    assert.equal(command.mode, 'local');
    assert.deepEqual(command.argv.slice(0, 3), ['python3', '-m', 'verl.trainer.main_ppo']);
    assert.equal(command.env.BNPO_CLI, '/ext/dist/cli.js');
    assert.equal(command.env.BNPO_RULES_FILE, '/work/rules/math.rewards.json');
    assert.equal(command.env.BNPO_CONFIG_FILE, '/work/cfg/run.verl.json');
    assert.equal(set.get('+ray_kwargs.ray_init.runtime_env.env_vars.BNPO_RUN_DIR'), '/runs/r1');
    assert.equal(set.get('+ray_kwargs.ray_init.runtime_env.env_vars.BNPO_SAMPLE_EVERY'), "'5'");
  });

  it('resolves data against the config folder and switches evaluation off without held-out data', () => {
    assert.equal(set.get('data.train_files'), '/work/cfg/data/train.parquet');
    assert.equal(set.get('data.val_files'), '/work/cfg/data/train.parquet');
    assert.equal(set.get('trainer.test_freq'), '-1');
    assert.equal(set.get('actor_rollout_ref.model.path'), "'/models/tiny model'");
    assert.equal(
      command.overrides.at(-1),
      'trainer.val_before_train=False',
      'extra arguments come last and win',
    );
  });

  it('prints env assignments a shell hands to the program unchanged', () => {
    const words = shellWords(command.shell);
    assert.equal(words[0], 'env');
    const program = words.indexOf('python3');
    assert.deepEqual(
      words.slice(1, program),
      Object.entries(command.env).map(([k, v]) => `${k}=${v}`),
    );
    assert.deepEqual(words.slice(program), command.argv);
  });
});

describe('the verl release (verlVersion)', () => {
  const base = { model: 'm', trainFiles: 't.parquet', rules: 'r.json' } satisfies VerlRunConfigInput;
  const keysFor = (input: VerlRunConfigInput): Set<string> =>
    new Set(overridesOf(buildVerlCommand(VerlRunConfigSchema.parse(input), ctx)).keys());
  const removedInVerl08 = ['reward_model.use_reward_loop', 'reward_model.launch_reward_fn_async'];

  it('defaults to 0.9, the release the Python tier pins', () => {
    assert.equal(VerlRunConfigSchema.parse(base).verlVersion, '0.9');
  });

  it('places the reward in verl’s driver only on 0.7, whose config still has the two switches', () => {
    const old = keysFor({ ...base, verlVersion: '0.7' });
    for (const key of removedInVerl08) assert.ok(old.has(key), key);
    for (const version of ['0.8', '0.9'] as const) {
      const keys = keysFor({ ...base, verlVersion: version });
      for (const key of removedInVerl08) assert.ok(!keys.has(key), `${version}: ${key}`);
      assert.deepEqual(
        [...old].filter((k) => !keys.has(k)),
        removedInVerl08,
        version,
      );
    }
  });

  it('refuses a release it does not know, naming the field', () => {
    const text = JSON.stringify({ ...base, verlVersion: '0.6' });
    assert.throws(
      () => parseVerlConfig(text, 'v.verl.json'),
      /^VerlConfigError: v\.verl\.json:1:\d+: verlVersion/,
    );
  });
});

describe('quoting', () => {
  it('quotes Hydra values that are not plain, and writes numbers, booleans and lists as Hydra does', () => {
    assert.equal(hydraValue('Qwen/Qwen2.5-Math-7B'), 'Qwen/Qwen2.5-Math-7B');
    assert.equal(hydraValue('pkg://a.b'), "'pkg://a.b'");
    assert.equal(hydraValue("it's"), "'it\\'s'");
    assert.equal(hydraValue('true'), "'true'");
    assert.equal(hydraValue('2026-run'), "'2026-run'");
    assert.equal(hydraValue(false), 'False');
    assert.equal(hydraValue(1e-6), '0.000001');
    assert.equal(hydraValue(['console', 'bnpo']), '[console,bnpo]');
    assert.throws(() => hydraValue(Number.NaN), /finite/);
  });

  it('quotes shell words only when needed', () => {
    assert.equal(shellQuote('a.b=c/d'), 'a.b=c/d');
    assert.equal(shellQuote("x='y'"), `'x='\\''y'\\'''`);
    assert.equal(shellQuote(''), "''");
    assert.deepEqual(shellWords(["it's", 'a b', '$HOME', '[x,y]'].map(shellQuote).join(' ')), [
      "it's",
      'a b',
      '$HOME',
      '[x,y]',
    ]);
  });

  it('resolves paths like a POSIX shell would, leaving absolute paths and URLs alone', () => {
    assert.equal(resolveAgainst('/a/b', '../c/./d.json'), '/a/c/d.json');
    assert.equal(resolveAgainst('/a/b', '/x/y'), '/x/y');
    assert.equal(resolveAgainst('/a/b', 'hdfs://n/p'), 'hdfs://n/p');
    assert.equal(resolveAgainst('/a/b', '~/data'), '~/data');
  });

  it('puts a run in the config’s runDir, else in the runs folder under its id', () => {
    const base = VerlRunConfigSchema.parse({ model: 'm', trainFiles: 't', rules: 'r' });
    const where = { baseDir: '/cfg', runsFolder: '/ws/.bnpo/runs/', runId: 'x-1' };
    assert.equal(verlRunDir(base, where), '/ws/.bnpo/runs/x-1');
    assert.equal(verlRunDir({ ...base, runDir: '../shared/run' }, where), '/shared/run');
  });

  it('names runs by name and UTC time', () => {
    assert.equal(verlRunId('math', new Date('2026-11-26T22:30:05.123Z')), 'math-20261126T223005Z');
    assert.equal(verlRunId(undefined, new Date('2026-11-26T22:30:05Z')), 'verl-20261126T223005Z');
  });
});

describe('the editor schema for *.verl.json', () => {
  it('is the committed media/schemas/verl.schema.json (run `npm run schemas` if not)', () => {
    assert.equal(
      readFileSync(path.join(root, VERL_JSON_SCHEMA_FILE), 'utf8'),
      verlJsonSchemaText(),
      `${VERL_JSON_SCHEMA_FILE} is stale`,
    );
  });

  it('accepts the example config and names every field it has', () => {
    const schema = JSON.parse(verlJsonSchemaText()) as {
      properties: Record<string, { description?: string }>;
    };
    for (const [key, property] of Object.entries(schema.properties)) {
      if (key !== '$schema') assert.ok(property.description, `${key} has no description`);
    }
    assert.deepEqual(
      Object.keys(JSON.parse(readFileSync(example, 'utf8').replace(/^\s*\/\/.*$/gm, '')) as object).filter(
        (k) => !(k in schema.properties),
      ),
      [],
    );
  });
});

describe('bad configs', () => {
  it('say file, line, column and field', () => {
    const text =
      '{\n  "model": "m",\n  "trainFiles": "t.parquet",\n  "rules": "r.json",\n  "groupSize": 1\n}\n';
    assert.throws(
      () => parseVerlConfig(text, 'bad.verl.json'),
      (err: unknown) =>
        err instanceof VerlConfigError &&
        err.problems.length === 1 &&
        /^bad\.verl\.json:5:16: groupSize: groupSize \(G\) must be at least 2/.test(err.problems[0] ?? ''),
    );
  });

  it('refuse a cluster address that is not the dashboard URL', () => {
    const text = JSON.stringify({
      model: 'm',
      trainFiles: 't',
      rules: 'r',
      launch: { mode: 'ray', address: 'head:6379' },
    });
    assert.throws(
      () => parseVerlConfig(text, 'c.verl.json'),
      /launch\.address: address must be the Ray dashboard URL/,
    );
  });

  it('report JSON syntax errors with their place', () => {
    assert.throws(
      () => parseVerlConfig('{"model": }', 'x.verl.json'),
      /^VerlConfigError: x\.verl\.json:1:11: not valid JSON/,
    );
  });
});

describe('bnpo verl command', () => {
  it('prints the same command as the builder, and the shell form by default', () => {
    const config = path.join(scratch, 'local.verl.json');
    writeFileSync(
      config,
      JSON.stringify({ model: 'm', trainFiles: 'train.parquet', rules: 'r.rewards.json' }),
    );
    const args = [
      'verl',
      'command',
      '--config',
      config,
      '--run-dir',
      path.join(scratch, 'run'),
      '--run-id',
      'x',
    ];
    const json = spawnSync(process.execPath, [cli, ...args, '--json'], { encoding: 'utf8' });
    assert.equal(json.status, 0, json.stderr);
    const printed = JSON.parse(json.stdout) as VerlCommand;
    const expected = buildVerlCommand(parseVerlConfig(readFileSync(config, 'utf8'), config), {
      runDir: path.join(scratch, 'run'),
      runId: 'x',
      baseDir: scratch,
      defaultCli: cli,
      configFile: config,
    });
    assert.deepEqual(printed, JSON.parse(JSON.stringify(expected)));
    const shell = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    assert.equal(shell.stdout, `${expected.shell}\n`);
  });

  it('exits 2 with one line naming the problem', () => {
    const config = path.join(scratch, 'bad.verl.json');
    writeFileSync(config, '{"model": "m", "trainFiles": "t", "rules": "r", "groupSize": 1}');
    const done = spawnSync(process.execPath, [cli, 'verl', 'command', '--config', config], {
      encoding: 'utf8',
    });
    assert.equal(done.status, 2);
    assert.match(
      done.stderr,
      /^bnpo verl: .*bad\.verl\.json:1:\d+: groupSize: groupSize \(G\) must be at least 2/,
    );
    const missing = spawnSync(process.execPath, [cli, 'verl', 'command'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /command needs --config FILE/);
  });
});
