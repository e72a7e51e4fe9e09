// What a run's row says (the Runs view, quick picks, the status bar): its status, step and newest reward, for our
// runs and other tools' logs alike. A row has one line in a side bar about 300 px wide: the status is its icon, the
// step and reward its description, and a long run id is shortened in the middle so that description stays visible
// (the full id, the status in words and the source are in the tooltip and the accessible label). No vscode here.
import { ForeignRun, SOURCE_LABELS } from './foreignRun';
import type { FollowedRun } from './runFollower';

/** Longest label a row shows whole; a longer one keeps its start and end. */
export const ROW_LABEL_MAX = 16;

export interface RunFigures {
  readonly step: number | undefined;
  readonly totalSteps: number | undefined;
  readonly reward: number | undefined;
}

export function runFigures(run: FollowedRun): RunFigures {
  if (run instanceof ForeignRun) {
    let reward: number | undefined;
    for (let i = run.imported.length - 1; i >= 0 && reward === undefined; i--)
      reward = run.imported[i]!.reward;
    return { step: run.lastStep, totalSteps: undefined, reward };
  }
  const reward = run.lastMetrics?.reward;
  return { step: run.info?.step, totalSteps: run.info?.totalSteps, reward };
}

/** `label` at most `max` characters: its start, `…`, its end (run ids differ at both ends: time first, name last). */
export function shortLabel(label: string, max = ROW_LABEL_MAX): string {
  const chars = [...label];
  if (chars.length <= max) return label;
  const tail = Math.floor((max - 1) / 2);
  return `${chars.slice(0, max - 1 - tail).join('')}…${chars.slice(chars.length - tail).join('')}`;
}

function stepText({ step, totalSteps }: RunFigures): string | undefined {
  if (step === undefined) return undefined;
  return totalSteps === undefined ? `${step}` : `${step}/${totalSteps}`;
}

/** One line for quick picks, tooltips and screen readers: `running · step 4/10 · reward 0.500`. */
export function describeRun(run: FollowedRun): string {
  const figures = runFigures(run);
  const parts = run instanceof ForeignRun ? [`${SOURCE_LABELS[run.source]} log`] : [];
  if (!(run instanceof ForeignRun) && !run.info) return run.infoProblem ?? 'no run.json yet';
  parts.push(run.status);
  if (run.infoProblem !== undefined) parts.push(run.infoProblem);
  const step = stepText(figures);
  if (step !== undefined) parts.push(`step ${step}`);
  if (figures.reward !== undefined) parts.push(`reward ${figures.reward.toFixed(3)}`);
  return parts.join(' · ');
}

/** The row: a label short enough that the description (step, reward) fits beside the status icon. */
export function runRow(run: FollowedRun): { label: string; description: string } {
  if (!(run instanceof ForeignRun) && !run.info) {
    return { label: shortLabel(run.label), description: run.infoProblem ?? 'no run.json yet' };
  }
  const figures = runFigures(run);
  // A finished run's step is its total: the row says it once.
  const done = run.status === 'completed' && figures.step === figures.totalSteps;
  const step = done ? figures.step?.toString() : stepText(figures);
  const parts: string[] = [];
  if (step !== undefined) parts.push(step);
  if (figures.reward !== undefined) parts.push(`r ${figures.reward.toFixed(3)}`);
  return { label: shortLabel(run.label), description: parts.join(' · ') };
}
