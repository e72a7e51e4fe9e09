// What scoring one completion may cost. RE2 is linear in the text, but its constant is the compiled program's
// size: a counted repetition such as `(?:[a-z]+\s){1000}` compiles to thousands of instructions and takes
// seconds on a 20 KB completion. So the work of a pattern is bounded up front (instructions × characters, known
// before matching starts, hence the same on every machine and on every resume), completions are bounded in
// size, and a wall-clock budget per completion is the last resort for whatever the first two do not foresee.
import type { RE2JS } from 're2js';

export interface ScoringBudget {
  /** longer completions score 0 on every rule, unread */
  readonly maxCompletionChars: number;
  /** the largest program size × text length one pattern may be run on */
  readonly maxRegexWork: number;
  /** wall-clock milliseconds for all rules of one completion; rules still to run after it score 0 */
  readonly timeMs: number;
}

export const defaultScoringBudget: ScoringBudget = {
  maxCompletionChars: 1_000_000,
  maxRegexWork: 4_000_000,
  timeMs: 2_000,
};

/** A pattern whose largest scorable completion is shorter than this is refused by the rule checks. */
export const refusedBelowChars = 1_000;
/** ... and one whose largest scorable completion is shorter than this gets a warning. */
export const warnedBelowChars = 20_000;

/** Thrown inside an evaluator when a budget is spent: the rule scores 0 with the message as its reason. */
export class BudgetExceeded extends Error {
  override readonly name = 'BudgetExceeded';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The longest text a pattern of this program size may run on within the work budget. */
export function largestScorableLength(
  programSize: number,
  budget: ScoringBudget = defaultScoringBudget,
): number {
  return Math.floor(budget.maxRegexWork / Math.max(1, programSize)) - 1;
}

/** Throws BudgetExceeded when running `re` over `text` would cost more than the budget allows. */
export function checkRegexWork(re: RE2JS, text: string, budget: ScoringBudget): void {
  const size = re.programSize();
  const work = size * (text.length + 1);
  if (work > budget.maxRegexWork) {
    throw new BudgetExceeded(
      `over the scoring budget: the pattern's ${count(size)} instructions × ${count(text.length)} characters ` +
        `exceed ${count(budget.maxRegexWork)} (it scores completions up to ` +
        `${count(largestScorableLength(size, budget))} characters)`,
    );
  }
}

export function completionSizeProblem(text: string, budget: ScoringBudget): string | undefined {
  if (text.length <= budget.maxCompletionChars) return undefined;
  return `over the scoring budget: the completion has ${count(text.length)} characters, more than ${count(budget.maxCompletionChars)}`;
}

export function timeProblem(elapsedMs: number, budget: ScoringBudget): string | undefined {
  if (elapsedMs <= budget.timeMs) return undefined;
  return `over the scoring budget: scoring this completion took ${Math.round(elapsedMs)} ms, more than ${count(budget.timeMs)} ms`;
}

/** For the rule checks: an error or warning when a pattern can score only short completions. */
export function patternSizeProblem(
  re: RE2JS,
  budget: ScoringBudget = defaultScoringBudget,
): { severity: 'error' | 'warning'; message: string } | undefined {
  const size = re.programSize();
  const longest = largestScorableLength(size, budget);
  const what = `the pattern compiles to ${count(size)} instructions`;
  const hint = 'shrink counted repetitions such as {1000} or the sub-pattern they repeat';
  if (longest < refusedBelowChars) {
    return {
      severity: 'error',
      message: `${what}: too large to score completions of even ${count(refusedBelowChars)} characters (${hint})`,
    };
  }
  if (longest < warnedBelowChars) {
    return {
      severity: 'warning',
      message: `${what}: completions over ${count(longest)} characters will score 0 on this rule (${hint})`,
    };
  }
  return undefined;
}
