// The `bnpo` command line. Each sub-command lives in its own module under ./commands and returns an exit code:
// 0 success, 1 the work found problems (e.g. rule diagnostics), 2 bad usage or bad input.
import { UsageError } from './usage';

interface Command {
  readonly summary: string;
  readonly load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

const commands: Record<string, Command> = {
  advantages: {
    summary: 'compute advantages for grouped rewards (JSON in, JSON out)',
    load: () => import('./advantages.js'),
  },
  train: {
    summary: 'train a policy with BNPO (SFT warm start, then RL); --resume DIR continues a run',
    load: () => import('./train.js'),
  },
  bench: {
    summary: "measure the trainer's speed per backend next to the matmul peak and PyTorch",
    load: () => import('./bench.js'),
  },
  eval: {
    summary: "evaluate a run directory's latest checkpoint on its held-out split",
    load: () => import('./eval.js'),
  },
  generate: {
    summary:
      "print the completion of a Hugging Face model folder (Llama, Qwen2, Qwen3) or of a run's checkpoint",
    load: () => import('./generate.js'),
  },
  export: {
    summary: "write a run's checkpoint of a Hugging Face model as a PEFT adapter or a merged model folder",
    load: () => import('./export.js'),
  },
  rules: {
    summary: 'check reward-rule files, test them on sample completions, or serve them to another engine',
    load: () => import('./rules.js'),
  },
  experiment: {
    summary: 'compare estimators side by side (estimators × seeds × tasks) and write a report with plots',
    load: () => import('./experiment.js'),
  },
  verl: {
    summary: 'print the verl (Ray) command line for a *.verl.json run config, with the bnpo_verl plug-in',
    load: () => import('./verl.js'),
  },
  import: {
    summary: 'convert a TensorBoard, TRL (trainer_state.json) or verl (JSONL) log into a run folder',
    load: () => import('./import.js'),
  },
  'export-tensorboard': {
    summary: "write a run's metrics as a TensorBoard event file",
    load: () => import('./exportTensorboard.js'),
  },
};

function help(): string {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: bnpo <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    'Run `bnpo <command> --help` for its options.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`bnpo: unknown command '${name}'\n\n${help()}\n`);
    return 2;
  }
  try {
    const mod = await command.load();
    return await mod.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`bnpo ${name}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

// `--debug` (anywhere) shows the stack of an unexpected error; without it every error is one line.
const debug = process.argv.includes('--debug');
main(process.argv.slice(2).filter((a) => a !== '--debug')).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const message = err instanceof Error ? (debug ? (err.stack ?? err.message) : err.message) : String(err);
    process.stderr.write(`bnpo: ${message}${debug ? '' : ' (run with --debug for the stack)'}\n`);
    process.exitCode = 1;
  },
);
