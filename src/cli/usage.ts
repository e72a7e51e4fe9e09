import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Bad usage or bad input: the CLI prints the message on one line and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * `--steps -1` as `--steps=-1`: parseArgs reads a value that starts with '-' as an option and calls it ambiguous, but
 * a negative number after a string option is its value (and then gets the option's own range check).
 */
function joinNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--([^=]+)$/.exec(argv[i]!)?.[1];
    const next = argv[i + 1];
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-\d|^-\.\d/.test(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(argv[i]!);
  }
  return out;
}

/**
 * Every sub-command's argument parsing: its options plus `--help`/`-h`. A bad option becomes a one-line UsageError
 * (exit 2); `--help` prints the usage and returns undefined (the command then exits 0).
 */
export function parseCommandLine<const O extends Options>(
  argv: string[],
  options: O,
  usage: string,
  { positionals = false }: { positionals?: boolean } = {},
) {
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(argv, options),
      options: { ...options, help: { type: 'boolean', short: 'h' } } as const,
      allowPositionals: positionals,
      strict: true,
    });
  } catch (err) {
    // parseArgs adds advice about '--' on a second line that does not help here.
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw new UsageError(`${first.replace(/\. To specify a positional.*$/, '.')} (see --help)`);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    process.stdout.write(usage.endsWith('\n') ? usage : usage + '\n');
    return undefined;
  }
  return parsed;
}

/** A sub-command over one run directory (`bnpo eval RUN_DIR …`): its options, and the directory resolved. */
export function parseRunCommand<const O extends Options>(argv: string[], options: O, usage: string) {
  const parsed = parseCommandLine(argv, options, usage, { positionals: true });
  if (parsed === undefined) return undefined;
  if (parsed.positionals.length !== 1) throw new UsageError(usage);
  return { values: parsed.values, runDir: path.resolve(parsed.positionals[0]!) };
}
