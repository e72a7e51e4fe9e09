// A verl run config → the verl 0.7/0.8/0.9 command line with the bnpo_verl plug-in loaded: Hydra overrides for
// verl.trainer.main_ppo, the environment the plug-in reads, and for a cluster the `ray job submit` around it.
// Pure (no fs, no process): the editor command, `bnpo verl command` and the tests share it.
import type { VerlRunConfig } from '../protocol/verl';
import { VERL_ESTIMATOR_NAME, verlHasRewardLoop } from '../protocol/verl';
import { ESTIMATORS } from '../core/estimators';

/**
 * verl's custom reward function: the plug-in's batch scorer, imported by module path in verl's driver before the
 * trainer starts; importing it registers the estimator and the tracking backend there, the one process that uses
 * them. (VERL_USE_EXTERNAL_MODULES would import the plug-in into every verl process, inside `import verl`; it is
 * not needed, so the command does not set it.)
 */
export const VERL_REWARD_PATH = 'pkg://bnpo_verl.reward';
export const VERL_REWARD_NAME = 'compute_score';
/** The tracking backend the plug-in adds to verl: it writes the run directory. */
export const VERL_TRACKING_BACKEND = 'bnpo';
/** verl's checkpoints go here inside the run directory (not checkpoints/, which holds the built-in format). */
export const VERL_CHECKPOINT_FOLDER = 'verl-checkpoints';

export interface VerlCommandContext {
  /** Absolute run directory the plug-in writes (BNPO_RUN_DIR). */
  readonly runDir: string;
  /** Run id: verl's experiment name. */
  readonly runId: string;
  /** Folder of the config file; relative data and rules paths resolve against it. */
  readonly baseDir: string;
  /** The studio CLI used when the config names none (e.g. this extension's dist/cli.js). */
  readonly defaultCli: string;
  /** The config file, recorded in run.json. */
  readonly configFile?: string;
}

export interface VerlCommand {
  readonly mode: 'local' | 'ray';
  /** Program and arguments, to spawn without a shell. */
  readonly argv: readonly string[];
  /** Variables for the spawned process (local) or none needed beyond PATH (ray: they travel in the job's runtime env). */
  readonly env: Readonly<Record<string, string>>;
  /** The same command for a POSIX shell, one argument per line. */
  readonly shell: string;
  /** What the plug-in reads from its environment, wherever verl runs. */
  readonly pluginEnv: Readonly<Record<string, string>>;
  /** The Hydra overrides given to verl.trainer.main_ppo. */
  readonly overrides: readonly string[];
}

function isAbsolute(p: string): boolean {
  return (
    p.startsWith('/') ||
    p.startsWith('~') ||
    /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(p) ||
    /^[A-Za-z]:[\\/]/.test(p)
  );
}

/** `p` against `base` (POSIX), unless absolute, home-relative or a URL (hdfs://, s3://). */
export function resolveAgainst(base: string, p: string): string {
  if (isAbsolute(p)) return p;
  const parts = `${base.replace(/\/+$/, '')}/${p}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '.' || (part === '' && out.length > 0)) continue;
    if (part === '..' && out.length > 1) out.pop();
    else out.push(part);
  }
  return out.join('/');
}

const HYDRA_PLAIN = /^[A-Za-z0-9_./-]+$/;

/** A Hydra override value: numbers and booleans as such, strings quoted unless plain, lists in brackets. */
export function hydraValue(value: string | number | boolean | readonly string[]): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
    return String(value);
  }
  if (typeof value !== 'string') return `[${value.map((v) => hydraValue(v)).join(',')}]`;
  if (
    HYDRA_PLAIN.test(value) &&
    !/^(true|false|null|none|nan|inf)$/i.test(value) &&
    !/^[+-]?\d/.test(value)
  ) {
    return value;
  }
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const SHELL_PLAIN = /^[A-Za-z0-9_./:=@%+,-]+$/;

/** One argument for a POSIX shell. */
export function shellQuote(arg: string): string {
  if (arg !== '' && SHELL_PLAIN.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The environment the plug-in reads (engines/verl/bnpo_verl: reward.py, plugin.py). */
export function pluginEnv(config: VerlRunConfig, ctx: VerlCommandContext): Record<string, string> {
  const env: Record<string, string> = {
    BNPO_RUN_DIR: ctx.runDir,
    BNPO_RULES_FILE: resolveAgainst(ctx.baseDir, config.rules),
    BNPO_CLI: config.cli ?? (config.launch.mode === 'ray' ? 'bnpo' : ctx.defaultCli),
    BNPO_SAMPLE_EVERY: String(config.sampleEvery),
  };
  if (ctx.configFile !== undefined) env.BNPO_CONFIG_FILE = ctx.configFile;
  return env;
}

/**
 * Where verl computes the reward. verl 0.7 can score in its driver, in one batch, so the estimator and the sink see
 * the per-rule rewards; 0.8 removed both switches (the reward loop always scores, in its workers), so the keys are
 * not set there and bnpo_beta falls back to the combined reward (engines/verl/bnpo_verl/advantage.py).
 */
function rewardPlacement(config: VerlRunConfig): [string, boolean][] {
  if (verlHasRewardLoop(config.verlVersion)) return [];
  return [
    ['reward_model.use_reward_loop', false],
    ['reward_model.launch_reward_fn_async', false],
  ];
}

/** verl.trainer.main_ppo's Hydra overrides for this run (keys of the configured release's ppo_trainer config). */
export function verlOverrides(config: VerlRunConfig, ctx: VerlCommandContext): string[] {
  const train = resolveAgainst(ctx.baseDir, config.trainFiles);
  const val = config.valFiles === undefined ? undefined : resolveAgainst(ctx.baseDir, config.valFiles);
  const evaluate = val !== undefined && config.testEvery > 0;
  const set: [string, string | number | boolean | readonly string[]][] = [
    ['algorithm.adv_estimator', VERL_ESTIMATOR_NAME],
    ['algorithm.use_kl_in_reward', false],
    ['data.train_files', train],
    // verl always builds a validation set; without one it reads the training file and never evaluates.
    ['data.val_files', val ?? train],
    ['data.train_batch_size', config.promptsPerStep],
    ['data.max_prompt_length', config.maxPromptLength],
    ['data.max_response_length', config.maxResponseLength],
    ['data.filter_overlong_prompts', true],
    ['actor_rollout_ref.model.path', config.model],
    ['actor_rollout_ref.actor.optim.lr', config.lr],
    ['actor_rollout_ref.actor.optim.weight_decay', 0],
    ['actor_rollout_ref.actor.ppo_mini_batch_size', config.miniBatch ?? config.promptsPerStep],
    ['actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu', config.microBatchPerGpu],
    ['actor_rollout_ref.actor.clip_ratio_low', config.clip.low],
    ['actor_rollout_ref.actor.clip_ratio_high', config.clip.high],
    ['actor_rollout_ref.actor.clip_ratio_c', config.clip.dual],
    // As released: sum over a completion's tokens, mean over completions; no KL, no entropy bonus.
    ['actor_rollout_ref.actor.loss_agg_mode', ESTIMATORS.bnpo.lossAggregation],
    ['actor_rollout_ref.actor.use_kl_loss', false],
    ['actor_rollout_ref.actor.entropy_coeff', 0],
    ['actor_rollout_ref.actor.grad_clip', 1],
    ['actor_rollout_ref.rollout.name', config.rollout],
    ['actor_rollout_ref.rollout.n', config.groupSize],
    ['actor_rollout_ref.rollout.temperature', config.temperature],
    ['actor_rollout_ref.rollout.tensor_model_parallel_size', config.tensorParallel],
    ['actor_rollout_ref.rollout.gpu_memory_utilization', config.gpuMemoryUtilization],
    ['actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu', config.microBatchPerGpu],
    ['actor_rollout_ref.rollout.val_kwargs.temperature', config.evalTemperature],
    ['actor_rollout_ref.rollout.val_kwargs.do_sample', config.evalTemperature > 0],
    ['reward_model.reward_manager', 'batch'],
    ...rewardPlacement(config),
    ['custom_reward_function.path', VERL_REWARD_PATH],
    ['custom_reward_function.name', VERL_REWARD_NAME],
    ['trainer.logger', ['console', VERL_TRACKING_BACKEND]],
    ['trainer.project_name', 'bnpo-studio'],
    ['trainer.experiment_name', ctx.runId],
    ['trainer.nnodes', config.nodes],
    ['trainer.n_gpus_per_node', config.gpusPerNode],
    ['trainer.total_epochs', config.epochs],
  ];
  if (config.steps !== undefined) set.push(['trainer.total_training_steps', config.steps]);
  set.push(
    ['trainer.test_freq', evaluate ? config.testEvery : -1],
    ['trainer.val_before_train', evaluate],
    ['trainer.save_freq', config.saveEvery > 0 ? config.saveEvery : -1],
    ['trainer.resume_mode', 'auto'],
    ['trainer.default_local_dir', `${ctx.runDir.replace(/\/+$/, '')}/${VERL_CHECKPOINT_FOLDER}`],
  );
  const overrides = set.map(([key, value]) => `${key}=${hydraValue(value)}`);
  // Also through verl's own ray.init runtime_env, so every Ray worker of a local run sees them too.
  for (const [key, value] of Object.entries(pluginEnv(config, ctx))) {
    overrides.push(`+ray_kwargs.ray_init.runtime_env.env_vars.${key}=${hydraValue(value)}`);
  }
  overrides.push(...config.extraArgs);
  return overrides;
}

/** A POSIX shell form: the program and its options on the first line, then one Hydra override per line. */
function shellLines(head: readonly string[], overrides: readonly string[]): string {
  return [head.map(shellQuote).join(' '), ...overrides.map(shellQuote)].join(' \\\n  ');
}

/** The command that runs this config: verl locally, or `ray job submit` to the configured cluster. */
export function buildVerlCommand(config: VerlRunConfig, ctx: VerlCommandContext): VerlCommand {
  const overrides = verlOverrides(config, ctx);
  const env = pluginEnv(config, ctx);
  const program = [config.python, '-m', 'verl.trainer.main_ppo'];
  if (config.launch.mode === 'local') {
    const envWords = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    return {
      mode: 'local',
      argv: [...program, ...overrides],
      env,
      pluginEnv: env,
      overrides,
      shell: shellLines(['env', ...envWords, ...program], overrides),
    };
  }
  const head = [
    'ray',
    'job',
    'submit',
    '--address',
    config.launch.address,
    '--runtime-env-json',
    JSON.stringify({ env_vars: env }),
    ...(config.launch.noWait ? ['--no-wait'] : []),
    '--',
    ...program,
  ];
  return {
    mode: 'ray',
    argv: [...head, ...overrides],
    env: {},
    pluginEnv: env,
    overrides,
    shell: shellLines(head, overrides),
  };
}

/**
 * The run directory: the config's `runDir` (relative to the config's folder), else `<runsFolder>/<runId>`.
 * POSIX paths, like everything a verl driver reads.
 */
export function verlRunDir(
  config: VerlRunConfig,
  where: { baseDir: string; runsFolder: string; runId: string },
): string {
  if (config.runDir !== undefined) return resolveAgainst(where.baseDir, config.runDir);
  return `${where.runsFolder.replace(/\/+$/, '')}/${where.runId}`;
}

/** `<name>-<UTC time>`: sortable, unique per launch, a valid verl experiment name and folder name. */
export function verlRunId(name: string | undefined, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${name ?? 'verl'}-${stamp}`;
}
