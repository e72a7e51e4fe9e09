import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Bad usage or bad input: the CLI prints the message on one line and exits with status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

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
      args: argv,
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
