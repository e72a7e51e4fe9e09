// What the run panels' hosts send, built from the records a run's files hold: the dashboard's columns and the
// Beta-fit page's steps. No vscode here, so the unit tier checks these against the protocol's schemas.
import type { BetaFitStep } from '../../protocol/betaFit';
import { RULE_SERIES_PREFIX, SCALAR_SERIES } from '../../protocol/dashboard';
import type { DashboardRun, HeldOutColumns, MetricColumns } from '../../protocol/dashboard';
import type { EvalRecord, GroupsRecord, MetricsRecord } from '../../protocol/runDir';
import { withAuditSeries } from '../audit/auditSeries';
import type { AuditThresholds } from '../../protocol/audit';
import type { RunFollower } from '../runs/runFollower';

/** Metrics records as columns; a rule missing from a record (rules changed between resumes) is null there. */
export function toMetricColumns(records: readonly MetricsRecord[], rules: readonly string[]): MetricColumns {
  const series: Record<string, (number | null)[]> = {};
  for (const key of SCALAR_SERIES) series[key] = [];
  for (const rule of rules) series[RULE_SERIES_PREFIX + rule] = [];
  const step: number[] = [];
  const wall: number[] = [];
  for (const r of records) {
    step.push(r.step);
    wall.push(r.wall);
    for (const key of SCALAR_SERIES) series[key]!.push(r[key]);
    for (const rule of rules) series[RULE_SERIES_PREFIX + rule]!.push(r.rewards[rule] ?? null);
  }
  return { step, wall, series };
}

export function toHeldOutColumns(
  records: readonly EvalRecord[],
  wallAtStep: (step: number) => number,
): HeldOutColumns {
  const held = records.filter(
    (r) => r.phase !== 'final' || !records.some((o) => o !== r && o.step === r.step),
  );
  return {
    step: held.map((r) => r.step),
    wall: held.map((r) => wallAtStep(r.step)),
    accuracy: held.map((r) => r.accuracy),
  };
}

/** Steps that have a metrics record, with their p̂ when the groups record is there too. */
export function betaFitSteps(
  metrics: readonly MetricsRecord[],
  groups: readonly GroupsRecord[],
  groupSize: number,
  only?: ReadonlySet<number>,
): BetaFitStep[] {
  const groupsByStep = new Map(groups.map((g) => [g.step, g]));
  const steps: BetaFitStep[] = [];
  for (const m of metrics) {
    if (only && !only.has(m.step)) continue;
    const g = groupsByStep.get(m.step);
    const pHat: Record<string, number[]> = {};
    for (const rule of Object.keys(m.beta)) {
      pHat[rule] = g
        ? g.groups.map((group) => group.pHat[rule]).filter((p): p is number => p !== undefined)
        : [];
    }
    steps.push({ step: m.step, estimator: m.estimator, fits: m.beta, pHat, groupSize });
  }
  return steps;
}

/** The wall time of each step of a run, for placing its held-out evaluations on a wall-time axis. */
export function wallAt(run: RunFollower): (step: number) => number {
  const byStep = new Map(run.metrics.map((m) => [m.step, m.wall]));
  return (step) => byStep.get(step) ?? 0;
}

/** One followed run as the dashboard's `runs` message carries it (its audit checks beside the metrics). */
export function dashboardRun(run: RunFollower, thresholds: AuditThresholds): DashboardRun {
  const { id, label, status, rules } = run;
  const metrics = withAuditSeries(toMetricColumns(run.metrics, rules), run.audits, thresholds);
  return { id, label, status, rules, metrics, heldOut: toHeldOutColumns(run.evals, wallAt(run)) };
}
