// Config files (JSON with comments) as the CLI reads them: every problem is one line naming the file, the line and
// column, and the field; unknown keys are reported at the key with the nearest known one. One home for the run
// config (`bnpo train --config`) and the experiment config (`bnpo experiment --config`).
import * as fs from 'node:fs';
import type { Node } from 'jsonc-parser';
import { findNodeAtLocation, parse as parseJsonc, parseTree, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { findDeepNesting, formatNestingProblem } from '../core/jsonNesting';
import { unknownKeyProblems } from './configKeys';
import { UsageError } from './usage';

/** A config file's text, for problems found after validation (e.g. a plan's own checks) to point into. */
export interface ConfigSource {
  readonly file: string;
  readonly text: string;
  readonly tree: Node | undefined;
}

/** 1-based `line:column` of a character offset. */
export function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

/** `file:line:col` of the value at `path` (the file's start when the path is not in it). */
export function positionOf(source: ConfigSource, path: readonly (string | number)[]): string {
  const node = source.tree ? findNodeAtLocation(source.tree, [...path]) : undefined;
  return `${source.file}:${node ? lineCol(source.text, node.offset) : '1:1'}`;
}

function issueLines(source: ConfigSource, schema: z.ZodType, error: z.ZodError): string[] {
  return error.issues.flatMap((i) => {
    const field = i.path.length > 0 ? i.path.join('.') : '(root)';
    if (i.code === 'unrecognized_keys') {
      const jsonSchema = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
      return unknownKeyProblems(jsonSchema, source.tree, i.path, i.keys).map(
        (p) => `${source.file}:${lineCol(source.text, p.offset ?? 0)}: ${field}: ${p.message}`,
      );
    }
    return [`${positionOf(source, i.path as (string | number)[])}: ${field}: ${i.message}`];
  });
}

/**
 * Reads `file` (`what` names it in a read error) and checks it against `schema`. Returns the value as written
 * (defaults not filled in), the parsed data, and the source for later positioned problems.
 */
export function readConfigSource<T>(
  file: string,
  what: string,
  schema: z.ZodType<T>,
): { value: unknown; data: T; source: ConfigSource } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${file}: cannot read the ${what}: ${(err as Error).message}`);
  }
  const deep = findDeepNesting(text);
  if (deep !== undefined) throw new UsageError(formatNestingProblem(file, deep));
  const errors: ParseError[] = [];
  const value: unknown = parseJsonc(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) throw new UsageError(`${file}:${lineCol(text, errors[0]!.offset)}: not valid JSON`);
  const source: ConfigSource = { file, text, tree: parseTree(text) };
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(issueLines(source, schema, parsed.error).join('\n'));
  return { value, data: parsed.data, source };
}
