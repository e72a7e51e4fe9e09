// Reading a config file's text (JSON with comments and trailing commas) against a zod schema, every problem one line
// `file:line:col: field: message`. The *.verl.json and *.trl.json readers share it; the CLI's run and experiment
// configs have their own (src/cli/configFile.ts: unknown keys with "did you mean").
import type { ParseError } from 'jsonc-parser';
import { findNodeAtLocation, parse as parseJsonc, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { z } from 'zod';
import { findDeepNesting, formatNestingProblem } from './jsonNesting';

/** The problems of one config file, each a located line. */
export class ConfigFileError extends Error {
  override readonly name: string = 'ConfigFileError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/** Parses and validates `text` (read from `file`); throws `error` (a ConfigFileError) listing every problem. */
export function parseConfigText<T>(
  text: string,
  file: string,
  schema: z.ZodType<T>,
  error: new (problems: readonly string[]) => ConfigFileError = ConfigFileError,
): T {
  const deep = findDeepNesting(text);
  if (deep !== undefined) throw new error([formatNestingProblem(file, deep)]);
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first !== undefined) {
    throw new error([
      `${file}:${lineColumn(text, first.offset)}: not valid JSON: ${printParseErrorCode(first.error)}`,
    ]);
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const root = parseTree(text);
  throw new error(
    parsed.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const node = root === undefined ? undefined : findNodeAtLocation(root, path);
      const where = node === undefined ? file : `${file}:${lineColumn(text, node.offset)}`;
      return `${where}: ${path.length > 0 ? path.join('.') : '(root)'}: ${issue.message}`;
    }),
  );
}
