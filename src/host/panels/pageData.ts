// What the run panels' hosts send, built from the records a run's files hold: the dashboard's columns, the
// Beta-fit page's steps, the samples page's records and the runs table's rows; another tool's log (a ForeignRun)
// gives the same messages from what it logged. No vscode here, so the unit tier checks these against the protocol's
// schemas.
import type { BetaFitStep, HostToBetaFit } from '../../protocol/betaFit';
import { EXTRA_SERIES_PREFIX, RULE_SERIES_PREFIX, SCALAR_SERIES } from '../../protocol/dashboard';
import type { DashboardRun, HeldOutColumns, MetricColumns } from '../../protocol/dashboard';
import type { ImportedMetricsRecord } from '../../protocol/importedRun';
import type { EvalRecord, GroupsRecord, MetricsRecord } from '../../protocol/runDir';
import type { RunsTableRun } from '../../protocol/runsTable';
import type { HostToSamples } from '../../protocol/samples';
import { ForeignRun } from '../runs/foreignRun';
import { modelSummary } from '../runs/hfCache';
import type { FollowedRun, RunChange } from '../runs/runFollower';
import { runFigures } from '../runs/runRow';
import { DEFAULT_AUDIT_THRESHOLDS } from '../../protocol/audit';
import type { AuditThresholds } from '../../protocol/audit';
import { withAuditSeries } from '../audit/auditSeries';

/** Metrics records as columns; a rule missing from a record (rules changed between resumes) is null there. */
export function toMetricColumns(records: readonly MetricsRecord[], rules: readonly string[]): MetricColumns {
  const series: Record<string, (number | null)[]> = {};
  for (const key of SCALAR_SERIES) series[key] = [];
  for (const rule of rules) series[RULE_SERIES_PREFIX + rule] = [];
  const step: number[] = [];
  const wall: number[] = [];
  const time: number[] = [];
  for (const r of records) {
    step.push(r.step);
    wall.push(r.wall);
    time.push(Date.parse(r.time) / 1000);
    for (const key of SCALAR_SERIES) series[key]!.push(r[key]);
    for (const rule of rules) series[RULE_SERIES_PREFIX + rule]!.push(r.rewards[rule] ?? null);
  }
  // A record whose time does not parse leaves the absolute-time axis out rather than drawing it at 1970.
  return time.every(Number.isFinite) ? { step, wall, time, series } : { step, wall, series };
}

/**
 * Another tool's steps as the dashboard's columns: fields it logged on our series (null where a step lacks one),
 * per-rule rewards, and every other metric as `extra.<name>`. Wall time counts from its first logged time, 0
 * where the tool records none (TRL, verl).
 */
export function importedColumns(
  records: readonly ImportedMetricsRecord[],
  rules: readonly string[],
  extras: readonly string[],
  firstWall: number,
): MetricColumns {
  const series: Record<string, (number | null)[]> = {};
  for (const key of SCALAR_SERIES) series[key] = records.map((r) => r[key] ?? null);
  for (const rule of rules) series[RULE_SERIES_PREFIX + rule] = records.map((r) => r.rewards[rule] ?? null);
  for (const name of extras) series[EXTRA_SERIES_PREFIX + name] = records.map((r) => r.extra[name] ?? null);
  return {
    step: records.map((r) => r.step),
    wall: records.map((r) => (r.wall === null ? 0 : r.wall - firstWall)),
    series,
  };
}

function foreignColumns(run: ForeignRun, records: readonly ImportedMetricsRecord[]): MetricColumns {
  const extras = run
    .series()
    .map((s) => s.as)
    .filter((as) => as.startsWith(EXTRA_SERIES_PREFIX))
    .map((as) => as.slice(EXTRA_SERIES_PREFIX.length));
  const firstWall = run.imported.find((r) => r.wall !== null)?.wall ?? 0;
  return importedColumns(records, run.rules, extras, firstWall);
}

/** The dashboard columns of the rows a change added (another tool's steps, or our metrics records). */
export function changeColumns(run: FollowedRun, change: RunChange): MetricColumns {
  if (run instanceof ForeignRun) return foreignColumns(run, change.imported ?? []);
  return toMetricColumns(change.metrics, run.rules);
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
export function wallAt(run: FollowedRun): (step: number) => number {
  if (run instanceof ForeignRun) return () => 0;
  const table = run.columns();
  return (step) => table.wallAt(step);
}

/** One followed run as the dashboard's `runs` message carries it (our runs' audit checks beside the metrics). */
export function dashboardRun(
  run: FollowedRun,
  thresholds: AuditThresholds = DEFAULT_AUDIT_THRESHOLDS,
): DashboardRun {
  const { id, label, status, rules } = run;
  const metrics =
    run instanceof ForeignRun
      ? foreignColumns(run, run.imported)
      : withAuditSeries(run.columns().toColumns(rules), run.columns().audit, thresholds);
  const heldOut = toHeldOutColumns(run.evals, wallAt(run));
  const info = run.info?.modelInfo;
  return { id, label, status, rules, metrics, heldOut, ...(info ? { model: modelSummary(info) } : {}) };
}

/** The fields that name the shown run in a one-run panel's first message. */
export function shownRun(run: FollowedRun): Pick<FollowedRun, 'id' | 'label' | 'status' | 'rules'> {
  return { id: run.id, label: run.label, status: run.status, rules: run.rules };
}

/** How many prompt groups a step of the run has (its config's group size; 1 when unknown, as for other tools). */
function groupSize(run: FollowedRun): number {
  return run.info?.config.groupSize ?? 1;
}

/** The Beta-fit page's `run` message: every step with a fit, read from the files now (another tool's log has none). */
export function betaFitRun(run: FollowedRun): Extract<HostToBetaFit, { type: 'run' }> {
  if (run instanceof ForeignRun) return { type: 'run', ...shownRun(run), steps: [] };
  const { metrics, groups } = run.readRecords();
  return { type: 'run', ...shownRun(run), steps: betaFitSteps(metrics, groups, groupSize(run)) };
}

/** The Beta-fit steps a change touched (a fit, or a step's p̂ arriving after it), joined from the newest records. */
export function betaFitChange(run: FollowedRun, change: RunChange): BetaFitStep[] {
  if (run instanceof ForeignRun) return [];
  const touched = new Set([...change.metrics.map((m) => m.step), ...change.groups.map((g) => g.step)]);
  return touched.size === 0 ? [] : betaFitSteps(run.recentMetrics, run.recentGroups, groupSize(run), touched);
}

/** The samples page's `run` message: the sampled steps and the newest one's groups (another tool's log has none). */
export function samplesRun(run: FollowedRun): Extract<HostToSamples, { type: 'run' }> {
  if (run instanceof ForeignRun) return { type: 'run', ...shownRun(run), records: [], steps: [] };
  const steps = run.sampleSteps();
  const newest = steps[steps.length - 1];
  const records = newest === undefined ? [] : run.readSamples(newest);
  return { type: 'run', ...shownRun(run), records, steps };
}

/** The samples page's `step` message: every sampled group of one step, read from disk now. */
export function samplesStep(run: FollowedRun, step: number): Extract<HostToSamples, { type: 'step' }> {
  return { type: 'step', id: run.id, step, records: run instanceof ForeignRun ? [] : run.readSamples(step) };
}

/** One followed run as the runs table's messages carry it: its run.json, last reward and held-out accuracy. */
export function runsTableRun(run: FollowedRun): RunsTableRun {
  return {
    id: run.id,
    dir: run.dir,
    status: run.status,
    info: run.info ?? null,
    problem: run.infoProblem ?? null,
    lastReward: runFigures(run).reward ?? null,
    lastAccuracy: run.evals.at(-1)?.accuracy ?? null,
  };
}
