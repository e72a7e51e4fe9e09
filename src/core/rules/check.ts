// Turns the text of a rule file into diagnostics with exact ranges: JSONC syntax, then the schema, then the
// semantic checks. Pure (no I/O): the CLI, the trainer's loader and the editor all call it.
import type { Node, ParseError } from 'jsonc-parser';
import {
  findNodeAtLocation,
  getNodeValue,
  parseTree,
  printParseErrorCode,
  stripComments,
} from 'jsonc-parser';
import { findDeepNesting } from '../jsonNesting';
import type { CompiledRules } from './engine';
import { compileRules, RulesError } from './engine';
import type { JsonPath } from './semantics';
import { checkSemantics } from './semantics';
import type { RewardRules, RewardRulesInput } from './schema';
import { ruleKinds, rewardRulesSchema } from './schema';

export interface RulePosition {
  /** zero-based, like VS Code's Position */
  line: number;
  /** zero-based, in UTF-16 code units */
  character: number;
}

export interface RuleDiagnostic {
  message: string;
  severity: 'error' | 'warning';
  range: { start: RulePosition; end: RulePosition };
  path?: (string | number)[];
  /** syntax and schema problems are also reported by VS Code's JSON support; semantic ones only by us */
  source: 'syntax' | 'schema' | 'semantic';
  /** for semantic problems, which check (e.g. `unknown-field`); for schema problems, zod's issue code */
  code?: string;
}

export interface CheckOptions {
  /** the configured dataset's field names; references to other fields become errors */
  datasetFields?: readonly string[];
}

export interface CheckResult {
  /** present only when there are no errors (warnings allowed) */
  rules?: RewardRules;
  diagnostics: RuleDiagnostic[];
}

/** Maps string offsets to zero-based line/character. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 13 && text.charCodeAt(i + 1) === 10) i++;
      if (c === 10 || c === 13) this.starts.push(i + 1);
    }
  }
  position(offset: number): RulePosition {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - (this.starts[lo] ?? 0) };
  }
}

/**
 * The node a path points at, or the deepest existing ancestor when the path names something missing,
 * plus the key node of the last property on the way (for "unknown property" squiggles).
 */
function locate(root: Node, path: JsonPath): Node {
  for (let n = path.length; n >= 0; n--) {
    const node = findNodeAtLocation(root, path.slice(0, n));
    if (node !== undefined) return node;
  }
  return root;
}

function propertyKey(object: Node, key: string): Node | undefined {
  return object.children?.find((p) => p.type === 'property' && p.children?.[0]?.value === key)?.children?.[0];
}

/**
 * A rule object is pointed at by its `kind` (a missing property is that kind's problem); any other multi-line
 * object or array by its opening bracket, so a squiggle never paints many lines.
 */
function narrow(node: Node, text: string): { offset: number; length: number } {
  if (node.type === 'object') {
    const kind = node.children?.find((p) => p.children?.[0]?.value === 'kind')?.children?.[1];
    if (kind !== undefined) return kind;
  }
  if (node.type === 'object' || node.type === 'array') {
    if (!text.slice(node.offset, node.offset + node.length).includes('\n')) return node;
    return { offset: node.offset, length: 1 };
  }
  return node;
}

/** The code of the one diagnostic a too deeply nested file gets (nothing else is checked in it). */
export const TOO_DEEP = 'too-deep';

export function checkRulesText(text: string, options: CheckOptions = {}): CheckResult {
  const lines = new LineIndex(text);
  const diagnostics: RuleDiagnostic[] = [];
  const add = (
    at: { offset: number; length: number },
    message: string,
    source: RuleDiagnostic['source'],
    severity: RuleDiagnostic['severity'] = 'error',
    path?: JsonPath,
    code?: string,
  ): void => {
    const d: RuleDiagnostic = {
      message,
      severity,
      range: { start: lines.position(at.offset), end: lines.position(at.offset + at.length) },
      source,
    };
    if (path !== undefined) d.path = path;
    if (code !== undefined) d.code = code;
    diagnostics.push(d);
  };

  // Editors on some systems save a byte-order mark; a space of the same length keeps every offset true.
  const source = text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text;
  const deep = findDeepNesting(source);
  if (deep !== undefined) {
    add({ offset: deep.offset, length: 1 }, deep.message, 'syntax', 'error', undefined, TOO_DEEP);
    return { diagnostics };
  }
  const syntax: ParseError[] = [];
  const root = parseTree(source, syntax, { allowTrailingComma: true, disallowComments: false });
  if (root === undefined && stripComments(source).trim() === '') {
    add({ offset: 0, length: 0 }, 'the file is empty: expected an object with "rules"', 'syntax');
    return { diagnostics };
  }
  for (const e of syntax) add(e, `JSON syntax: ${printParseErrorCode(e.error)}`, 'syntax');
  if (root === undefined) return { diagnostics };
  if (syntax.length > 0) return { diagnostics };

  const value: unknown = getNodeValue(root);
  const parsed = rewardRulesSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const node = locate(root, path);
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) {
          add(propertyKey(node, key) ?? narrow(node, text), `unknown property '${key}'`, 'schema', 'error', [
            ...path,
            key,
          ]);
        }
        continue;
      }
      let message = issue.message;
      if (issue.code === 'invalid_union' && path[path.length - 1] === 'kind') {
        const got = findNodeAtLocation(root, path);
        message =
          got === undefined
            ? `missing "kind": one of ${ruleKinds.join(', ')}`
            : `unknown rule kind ${JSON.stringify(got.value)}: expected one of ${ruleKinds.join(', ')}`;
      } else if (issue.code === 'invalid_union' && path[path.length - 1] === 'type') {
        const got = findNodeAtLocation(root, path);
        message =
          got === undefined
            ? 'missing extractor "type": one of lastNumber, boxed, tag, regex'
            : `unknown extractor ${JSON.stringify(got.value)}: expected one of lastNumber, boxed, tag, regex`;
      } else if (issue.code === 'invalid_type' && findNodeAtLocation(root, path) === undefined) {
        message = `missing property '${String(path[path.length - 1])}'`;
      }
      add(narrow(node, text), message, 'schema', 'error', path, issue.code);
    }
  }

  for (const issue of checkSemantics(value, options)) {
    add(
      narrow(locate(root, issue.path), text),
      issue.message,
      'semantic',
      issue.severity,
      issue.path,
      issue.code,
    );
  }

  diagnostics.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  const ok = parsed.success && !diagnostics.some((d) => d.severity === 'error');
  return ok ? { rules: parsed.data, diagnostics } : { diagnostics };
}

/** `file:line:col: severity: message`, one-based, as compilers print it. */
export function formatDiagnostic(file: string, d: RuleDiagnostic): string {
  return `${file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message}`;
}

/**
 * Validates a rule file's value against the schema (filling defaults), then compiles it; throws RulesError listing
 * every problem. For text with positions, use checkRulesText first.
 */
export function compileRuleFile(file: RewardRules | RewardRulesInput): CompiledRules {
  const parsed = rewardRulesSchema.safeParse(file);
  if (!parsed.success) {
    throw new RulesError(
      parsed.error.issues.map((i) => ({
        message: i.message,
        path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
      })),
    );
  }
  return compileRules(parsed.data);
}
