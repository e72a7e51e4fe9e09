// Checks the schema cannot express: regexes RE2 accepts, unique names, known references, no cycles, a non-empty
// rule set, sample fields the dataset has. They walk the raw JSON value tolerantly, so the editor can show them
// while the file still has schema errors elsewhere.
import { patternSizeProblem } from './budget';
import { compileRegex, namedGroups } from './regex';

export type JsonPath = (string | number)[];

export interface SemanticIssue {
  message: string;
  severity: 'error' | 'warning';
  /** Where in the JSON document the problem is. */
  path: JsonPath;
  code: SemanticCode;
}

export type SemanticCode =
  | 'empty-rules'
  | 'no-reward'
  | 'duplicate-name'
  | 'unknown-rule'
  | 'self-reference'
  | 'cycle'
  | 'regex'
  | 'regex-size'
  | 'regex-group'
  | 'unknown-field'
  | 'format-empty'
  | 'duplicate-tag'
  | 'length-bounds';

export interface SemanticOptions {
  /** Field names of the configured dataset's samples; when given, references to other fields are errors. */
  datasetFields?: readonly string[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkPattern(issues: SemanticIssue[], owner: Record<string, unknown>, path: JsonPath): void {
  const pattern = owner.pattern;
  if (typeof pattern !== 'string' || pattern.length === 0) return;
  const flags = typeof owner.flags === 'string' && /^[ims]*$/.test(owner.flags) ? owner.flags : '';
  const compiled = compileRegex(pattern, flags);
  if (!compiled.ok) {
    issues.push({ code: 'regex', message: compiled.message, severity: 'error', path: [...path, 'pattern'] });
    return;
  }
  const size = patternSizeProblem(compiled.re);
  if (size !== undefined) issues.push({ code: 'regex-size', ...size, path: [...path, 'pattern'] });
  const group = owner.group;
  if (owner.type === 'regex') {
    const count = compiled.re.groupCount();
    if (typeof group === 'number' && Number.isInteger(group) && group > count) {
      issues.push({
        code: 'regex-group',
        message: `group ${group} does not exist: the pattern has ${count} capture group${count === 1 ? '' : 's'}`,
        severity: 'error',
        path: [...path, 'group'],
      });
    } else if (group === undefined && count < 1) {
      issues.push({
        code: 'regex-group',
        message: 'the pattern has no capture group: add one (…) or set "group": 0 for the whole match',
        severity: 'error',
        path: [...path, 'pattern'],
      });
    } else if (typeof group === 'string' && !namedGroups(compiled.re).includes(group)) {
      issues.push({
        code: 'regex-group',
        message: `the pattern has no group named '${group}'`,
        severity: 'error',
        path: [...path, 'group'],
      });
    }
  }
}

function references(rule: Record<string, unknown>): { name: string; path: JsonPath }[] {
  if ((rule.kind === 'all' || rule.kind === 'any') && Array.isArray(rule.rules)) {
    return rule.rules.flatMap((r, j) => (typeof r === 'string' ? [{ name: r, path: ['rules', j] }] : []));
  }
  if (rule.kind === 'not' && typeof rule.rule === 'string') return [{ name: rule.rule, path: ['rule'] }];
  return [];
}

/** The checks of one rule's own fields (patterns, bounds, dataset fields). */
function checkRule(
  issues: SemanticIssue[],
  rule: Record<string, unknown>,
  at: JsonPath,
  options: SemanticOptions,
): void {
  switch (rule.kind) {
    case 'answer': {
      if (isObject(rule.extract) && rule.extract.type === 'regex')
        checkPattern(issues, rule.extract, [...at, 'extract']);
      const fields = options.datasetFields;
      if (fields !== undefined) {
        const field = rule.field === undefined ? 'answer' : rule.field;
        if (typeof field === 'string' && !fields.includes(field)) {
          const known = fields.length > 0 ? fields.join(', ') : 'none';
          issues.push({
            code: 'unknown-field',
            message:
              rule.field === undefined
                ? `the dataset has no field 'answer' (the default of "field"); its fields: ${known}`
                : `the dataset has no field '${field}'; its fields: ${known}`,
            severity: 'error',
            path: rule.field === undefined ? [...at, 'kind'] : [...at, 'field'],
          });
        }
      }
      break;
    }
    case 'format': {
      checkPattern(issues, rule, at);
      const tags = Array.isArray(rule.tags) ? rule.tags : [];
      if (tags.length === 0 && rule.pattern === undefined) {
        issues.push({
          code: 'format-empty',
          message: 'a format rule needs "tags", "pattern" or both',
          severity: 'error',
          path: [...at, 'kind'],
        });
      }
      tags.forEach((t, j) => {
        if (tags.indexOf(t) !== j) {
          issues.push({
            code: 'duplicate-tag',
            message: `tag '${String(t)}' is listed twice`,
            severity: 'error',
            path: [...at, 'tags', j],
          });
        }
      });
      break;
    }
    case 'regex':
      checkPattern(issues, rule, at);
      break;
    case 'length': {
      const { min, max } = rule;
      if (min === undefined && max === undefined) {
        issues.push({
          code: 'length-bounds',
          message: 'a length rule without "min" or "max" always passes',
          severity: 'warning',
          path: [...at, 'kind'],
        });
      } else if (typeof min === 'number' && typeof max === 'number' && min > max) {
        issues.push({
          code: 'length-bounds',
          message: `"min" (${min}) is larger than "max" (${max}): the rule can never pass`,
          severity: 'error',
          path: [...at, 'min'],
        });
      }
      break;
    }
    default:
      break;
  }
}

/** A combinator's references must name another rule of the file. */
function checkReferences(
  issues: SemanticIssue[],
  rule: Record<string, unknown>,
  at: JsonPath,
  byName: ReadonlyMap<string, number>,
): void {
  for (const ref of references(rule)) {
    if (!byName.has(ref.name)) {
      issues.push({
        code: 'unknown-rule',
        message: `unknown rule '${ref.name}'${typeof rule.name === 'string' ? ` in '${rule.name}'` : ''}`,
        severity: 'error',
        path: [...at, ...ref.path],
      });
    } else if (ref.name === rule.name) {
      issues.push({
        code: 'self-reference',
        message: `rule '${ref.name}' refers to itself`,
        severity: 'error',
        path: [...at, ...ref.path],
      });
    }
  }
}

export function checkSemantics(file: unknown, options: SemanticOptions = {}): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  if (!isObject(file) || !Array.isArray(file.rules)) return issues;
  const rules = file.rules;
  if (rules.length === 0) {
    issues.push({
      code: 'empty-rules',
      message: 'the rule set is empty: add at least one rule',
      severity: 'error',
      path: ['rules'],
    });
    return issues;
  }

  const byName = new Map<string, number>();
  rules.forEach((rule, i) => {
    if (!isObject(rule) || typeof rule.name !== 'string') return;
    const first = byName.get(rule.name);
    if (first !== undefined) {
      issues.push({
        code: 'duplicate-name',
        message: `duplicate rule name '${rule.name}' (first defined by rule ${first + 1})`,
        severity: 'error',
        path: ['rules', i, 'name'],
      });
    } else {
      byName.set(rule.name, i);
    }
  });

  let rewarded = 0;
  rules.forEach((rule, i) => {
    if (!isObject(rule)) return;
    const at: JsonPath = ['rules', i];
    if (rule.reward !== false) rewarded++;
    checkRule(issues, rule, at, options);
    checkReferences(issues, rule, at, byName);
  });

  if (rewarded === 0) {
    issues.push({
      code: 'no-reward',
      message: 'every rule has "reward": false: at least one rule must be a reward',
      severity: 'error',
      path: ['rules'],
    });
  }

  findCycles(rules, byName, issues);
  return issues;
}

/**
 * The cycle from `names[from]` to the end of `names` and back, as `a → b → c → a`; a long one keeps its ends (the
 * message lands in an editor and a log, and a file can hold a cycle through every one of thousands of rules).
 */
function cycleText(names: readonly string[], from: number): string {
  const length = names.length - from;
  const pick = (a: number, b: number): string[] => names.slice(from + a, from + b);
  const shown =
    length <= 12 ? pick(0, length) : [...pick(0, 5), `… ${length - 10} more …`, ...pick(length - 5, length)];
  return [...shown, names[from]!].join(' → ');
}

/**
 * Reports each reference that closes a cycle of combinators (self-references are reported above). Depth-first with
 * an explicit stack: a chain of combinators is as long as the file is, so recursion would overflow on a long one.
 */
function findCycles(rules: unknown[], byName: Map<string, number>, issues: SemanticIssue[]): void {
  const state = new Map<number, 'visiting' | 'done'>();
  type Frame = { i: number; name: string; refs: { name: string; path: JsonPath }[]; next: number };
  const frame = (i: number): Frame => {
    const rule = rules[i];
    state.set(i, 'visiting');
    return isObject(rule)
      ? { i, name: String(rule.name), refs: references(rule), next: 0 }
      : { i, name: '', refs: [], next: 0 };
  };
  for (const root of byName.values()) {
    if (state.has(root)) continue;
    const stack = [frame(root)];
    const names = [stack[0]!.name];
    const position = new Map<string, number>([[names[0]!, 0]]);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const ref = top.refs[top.next++];
      if (ref === undefined) {
        state.set(top.i, 'done');
        position.delete(top.name);
        stack.pop();
        names.pop();
        continue;
      }
      const j = byName.get(ref.name);
      if (j === undefined || j === top.i) continue;
      const s = state.get(j);
      if (s === 'visiting') {
        const from = position.get(ref.name) ?? 0;
        issues.push({
          code: 'cycle',
          message: `combinator cycle: ${cycleText(names, from)}`,
          severity: 'error',
          path: ['rules', top.i, ...ref.path],
        });
      } else if (s === undefined) {
        position.set(ref.name, stack.length);
        stack.push(frame(j));
        names.push(ref.name);
      }
    }
  }
}
