// Reading a `*.verl.json` file: JSON with comments, validated against VerlRunConfigSchema, every problem located
// as file:line:col and field. Separate from the schema (src/protocol/verl.ts) so the schema module stays free of the parser.
import type { ParseError } from 'jsonc-parser';
import { findDeepNesting, formatNestingProblem } from '../core/jsonNesting';
import { findNodeAtLocation, parse as parseJsonc, parseTree, printParseErrorCode } from 'jsonc-parser';
import type { VerlRunConfig } from '../protocol/verl';
import { VerlRunConfigSchema } from '../protocol/verl';

/** A problem with a verl config file, `file:line:col: field: message` when the place is known. */
export class VerlConfigError extends Error {
  override readonly name = 'VerlConfigError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
  }
}

function lineColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/** Parses and validates a `*.verl.json` text (comments and trailing commas allowed); throws VerlConfigError. */
export function parseVerlConfig(text: string, file: string): VerlRunConfig {
  const deep = findDeepNesting(text);
  if (deep !== undefined) throw new VerlConfigError([formatNestingProblem(file, deep)]);
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first !== undefined) {
    throw new VerlConfigError([
      `${file}:${lineColumn(text, first.offset)}: not valid JSON: ${printParseErrorCode(first.error)}`,
    ]);
  }
  const parsed = VerlRunConfigSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const root = parseTree(text);
  throw new VerlConfigError(
    parsed.error.issues.map((issue) => {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const node = root === undefined ? undefined : findNodeAtLocation(root, path);
      const where = node === undefined ? file : `${file}:${lineColumn(text, node.offset)}`;
      return `${where}: ${path.length > 0 ? path.join('.') : '(root)'}: ${issue.message}`;
    }),
  );
}
