// The experiment report: every number is read from the experiment folder (run directories and probe records) by
// this code, written to report.json, and rendered into report.md with SVG plots next to it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ESTIMATORS, type EstimatorName } from '../core/estimators';
import { logBeta, varianceProxy } from '../core/special';
import {
  EXPERIMENT_FILES,
  EXPERIMENT_VERSION,
  ExperimentReportSchema,
  VarianceRecordSchema,
  type Curve,
  type ExperimentInfo,
  type PairedRow,
  type ExperimentReport,
  type ReportRow,
  type Stat,
  type TheoryRow,
  type VarianceRecord,
} from '../protocol/experiment';
import { loadTask } from '../trainer/trainer';
import {
  areaUnderCurve,
  detectCollapse,
  meanStd,
  normaliseCurve,
  stepsToTarget,
  type CurvePoint,
} from './metrics';
import { runsDir, type Plan, type PlannedCell, type PlannedProbe } from './plan';
import { readEval, readMetrics, readRunInfo } from './runDirs';
import { colorFor, lineChart, logBarChart } from './svg';

interface CellData {
  readonly cell: PlannedCell;
  readonly completed: boolean;
  readonly base: number | null;
  readonly final: number | null;
  readonly curve: CurvePoint[];
  readonly target: number | null;
  readonly auc: number | null;
  readonly stepsToTarget: number | null;
  readonly collapsed: boolean;
  readonly collapseSince: number | null;
}

function readCell(dir: string, cell: PlannedCell, plan: Plan): CellData {
  const runDir = path.join(runsDir(dir), cell.run);
  const info = readRunInfo(runDir);
  const evals = readEval(runDir).records;
  const curve = normaliseCurve(evals.map((r) => ({ step: r.step, accuracy: r.accuracy })));
  const baseRec = evals.find((r) => r.phase === 'base');
  const finalRec = evals.find((r) => r.phase === 'final');
  const base = baseRec?.accuracy ?? info?.baseAccuracy ?? null;
  const completed = info?.status === 'completed' && finalRec !== undefined;
  const m = plan.config.metrics;
  const target = m.targetAccuracy ?? (base === null ? null : base + m.targetGain);
  const collapse = base === null ? null : detectCollapse(curve, base, m.collapseMargin, m.collapseEvals);
  return {
    cell,
    completed,
    base,
    final: finalRec?.accuracy ?? null,
    curve,
    target,
    auc: areaUnderCurve(curve),
    stepsToTarget: target === null ? null : stepsToTarget(curve, target),
    collapsed: collapse?.collapsed ?? false,
    collapseSince: collapse?.since ?? null,
  };
}

function readProbes(dir: string, plan: Plan): { records: Map<string, VarianceRecord>; problems: string[] } {
  const records = new Map<string, VarianceRecord>();
  const problems: string[] = [];
  for (const p of plan.probes) {
    const file = path.join(dir, EXPERIMENT_FILES.variance, `${p.id}.json`);
    if (!fs.existsSync(file)) continue;
    try {
      const parsed = VarianceRecordSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
      if (parsed.success) records.set(p.id, parsed.data);
      else
        problems.push(
          `${file}: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`,
        );
    } catch (err) {
      problems.push(`${file}: ${(err as Error).message}`);
    }
  }
  return { records, problems };
}

const stat = (m: { mean: number | null; std: number | null; n: number }): Stat => ({
  mean: m.mean,
  std: m.std,
  n: m.n,
});

/** GRPO's advantage is (8/π)·√((G−1)/G) times the Beta(3/2, 3/2) form the closed form describes (spec). */
function grpoToDensityScale(groupSize: number): number {
  return Math.exp(logBeta(1.5, 1.5)) * Math.sqrt(groupSize / (groupSize - 1));
}

type Triple = { bnpo: number; grpo: number; reinforce: number };
/** A measured triple; GRPO is null where its number is not comparable with the closed form. */
type Measured = { bnpo: number; grpo: number | null; reinforce: number };

function predicted(a: number, b: number, alpha: number, beta: number): Triple {
  const r = varianceProxy(1, 1, a, b);
  return {
    bnpo: varianceProxy(alpha, beta, a, b) / r,
    grpo: varianceProxy(1.5, 1.5, a, b) / r,
    reinforce: 1,
  };
}

function meanTriple(xs: readonly Triple[]): Triple | null {
  const ok = xs.filter(
    (t) => Number.isFinite(t.bnpo) && Number.isFinite(t.grpo) && Number.isFinite(t.reinforce),
  );
  if (ok.length === 0) return null;
  const m = (k: keyof Triple) => ok.reduce((s, t) => s + t[k], 0) / ok.length;
  return { bnpo: m('bnpo'), grpo: m('grpo'), reinforce: m('reinforce') };
}

/** Mean of every field over the triples where it is finite (GRPO may be null); null when BNPO's never is. */
function meanMeasured(xs: readonly Measured[]): Measured | null {
  const m = (values: (number | null)[]) => {
    const ok = values.filter((x): x is number => x !== null && Number.isFinite(x));
    return ok.length === 0 ? null : ok.reduce((s, x) => s + x, 0) / ok.length;
  };
  const bnpo = m(xs.map((t) => t.bnpo));
  return bnpo === null ? null : { bnpo, grpo: m(xs.map((t) => t.grpo)), reinforce: 1 };
}

/**
 * Measured ratios from one probe, GRPO rescaled to the density form, normalised to REINFORCE = 1. The closed form
 * compares advantages under one loss; a gradient taken under another aggregation (GRPO's per-sequence mean
 * against REINFORCE's token sum) weighs tokens differently, so its tr Cov ratio is left out (null).
 */
function measuredRatios(rec: VarianceRecord, field: 'advSecondMoment' | 'traceCov'): Measured | null {
  const e = rec.estimators;
  const [b, g, r] = [e.bnpo, e.grpo, e.reinforce];
  if (b === undefined || g === undefined || r === undefined || !(r[field] > 0)) return null;
  const c = grpoToDensityScale(rec.groupSize);
  const comparable =
    field === 'advSecondMoment' || ESTIMATORS.grpo.lossAggregation === ESTIMATORS.reinforce.lossAggregation;
  return { bnpo: b[field] / r[field], grpo: comparable ? (g[field] * c * c) / r[field] : null, reinforce: 1 };
}

async function theoryRows(
  dir: string,
  plan: Plan,
  cells: readonly CellData[],
  probes: Map<string, VarianceRecord>,
): Promise<TheoryRow[]> {
  const rows: TheoryRow[] = [];
  for (const task of [...new Set(plan.cells.map((c) => c.task))]) {
    // α, β as the BNPO runs fitted them, step by step (metrics.jsonl), for the accuracy rule.
    const bnpoCells = cells.filter((c) => c.cell.task === task && c.cell.estimator === 'bnpo');
    if (bnpoCells.length > 0) {
      const { accuracyRule } = await loadTask(bnpoCells[0]!.cell.config, dir);
      const fits = bnpoCells.flatMap((c) =>
        readMetrics(path.join(runsDir(dir), c.cell.run)).records.flatMap((r) => {
          const f = r.beta[accuracyRule];
          return f !== undefined && f.guard === null && f.a !== null && f.b !== null && f.a > 0 && f.b > 0
            ? [{ a: f.a, b: f.b, alpha: f.alpha, beta: f.beta }]
            : [];
        }),
      );
      const pred = meanTriple(fits.map((f) => predicted(f.a, f.b, f.alpha, f.beta)));
      if (pred !== null) {
        const m = (k: 'a' | 'b' | 'alpha' | 'beta') => fits.reduce((s, f) => s + f[k], 0) / fits.length;
        rows.push({
          task,
          source: `BNPO runs, every RL step (${fits.length} fits)`,
          a: m('a'),
          b: m('b'),
          alpha: m('alpha'),
          beta: m('beta'),
          predicted: pred,
          measuredAdv: null,
          measuredGrad: null,
        });
      }
    }
    for (const kind of ['base', 'final'] as const) {
      const recs = plan.probes
        .filter((p) => p.task === task && p.kind === kind)
        .map((p) => probes.get(p.id))
        .filter((r): r is VarianceRecord => r !== undefined && r.fit !== null);
      if (recs.length === 0) continue;
      const pred = meanTriple(recs.map((r) => predicted(r.fit!.a, r.fit!.b, r.fit!.alpha, r.fit!.beta)));
      if (pred === null) continue;
      const m = (k: 'a' | 'b' | 'alpha' | 'beta') => recs.reduce((s, r) => s + r.fit![k], 0) / recs.length;
      const adv = recs
        .map((r) => measuredRatios(r, 'advSecondMoment'))
        .filter((t): t is Measured => t !== null);
      const grad = recs.map((r) => measuredRatios(r, 'traceCov')).filter((t): t is Measured => t !== null);
      rows.push({
        task,
        source: `probe batches at ${kind === 'base' ? 'the SFT bases' : 'the final checkpoints'} (${recs.length} probes)`,
        a: m('a'),
        b: m('b'),
        alpha: m('alpha'),
        beta: m('beta'),
        predicted: pred,
        measuredAdv: meanMeasured(adv),
        measuredGrad: meanMeasured(grad),
      });
    }
  }
  return rows;
}

/** rel. var of every estimator over BNPO's, probe by probe (same parameters, prompts and completions). */
function pairedRows(plan: Plan, probes: Map<string, VarianceRecord>): PairedRow[] {
  if (!plan.config.estimators.includes('bnpo')) return [];
  const rows: PairedRow[] = [];
  for (const task of [...new Set(plan.probes.map((p) => p.task))]) {
    for (const kind of ['base', 'final'] as const) {
      const recs = plan.probes
        .filter((p) => p.task === task && p.kind === kind)
        .map((p) => probes.get(p.id))
        .filter((r): r is VarianceRecord => r !== undefined);
      for (const estimator of plan.config.estimators) {
        const ratios = recs.flatMap((r) => {
          const mine = r.estimators[estimator]?.relVar;
          const bnpo = r.estimators.bnpo?.relVar;
          return typeof mine === 'number' && typeof bnpo === 'number' && bnpo > 0 ? [mine / bnpo] : [];
        });
        if (ratios.length === 0) continue;
        rows.push({
          task,
          kind,
          estimator,
          ratio: ratios.reduce((a, b) => a + b, 0) / ratios.length,
          below: ratios.filter((x) => x < 1).length,
          probes: ratios.length,
        });
      }
    }
  }
  return rows;
}

function curvesFor(cells: readonly CellData[]): Curve[] {
  const out: Curve[] = [];
  const keys = [...new Set(cells.map((c) => `${c.cell.task}\u0000${c.cell.estimator}`))];
  for (const key of keys) {
    const [task, estimator] = key.split('\u0000') as [string, string];
    const runs = cells.filter((c) => c.completed && c.cell.task === task && c.cell.estimator === estimator);
    const steps = [...new Set(runs.flatMap((c) => c.curve.map((p) => p.step)))].sort((a, b) => a - b);
    const curve: Curve = { task, estimator, steps: [], mean: [], std: [], n: [] };
    for (const s of steps) {
      const m = meanStd(runs.map((c) => c.curve.find((p) => p.step === s)?.accuracy));
      if (m.mean === null) continue;
      curve.steps.push(s);
      curve.mean.push(m.mean);
      curve.std.push(m.std ?? 0);
      curve.n.push(m.n);
    }
    out.push(curve);
  }
  return out;
}

const pct = (s: Stat) =>
  s.mean === null ? '–' : `${(100 * s.mean).toFixed(1)} ± ${(100 * (s.std ?? 0)).toFixed(1)}`;
const sci = (s: Stat) =>
  s.mean === null ? '–' : `${s.mean.toExponential(2)} ± ${(s.std ?? 0).toExponential(1)}`;
const num = (s: Stat, digits = 1) =>
  s.mean === null ? '–' : `${s.mean.toFixed(digits)} ± ${(s.std ?? 0).toFixed(digits)}`;
const fx = (x: number, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '∞');
const triple = (t: Measured | null) =>
  t === null ? '–' : `${fx(t.bnpo)} / ${t.grpo === null ? '–' : fx(t.grpo)} / ${fx(t.reinforce)}`;

/** Loss and gradient norm of every RL step: two cells with the same sequence took the same updates. */
function updateTrace(dir: string, run: string): string {
  return JSON.stringify(
    readMetrics(path.join(runsDir(dir), run)).records.map((r) => [r.step, r.loss, r.gradNorm]),
  );
}

function identicalRuns(dir: string, cells: readonly CellData[], estimators: readonly string[]): string[] {
  const notes: string[] = [];
  for (let i = 0; i < estimators.length; i++) {
    for (let j = i + 1; j < estimators.length; j++) {
      const pairs = cells
        .filter((c) => c.completed && c.cell.estimator === estimators[i])
        .map((c) => [
          c,
          cells.find(
            (d) =>
              d.completed &&
              d.cell.estimator === estimators[j] &&
              d.cell.task === c.cell.task &&
              d.cell.seed === c.cell.seed,
          ),
        ]);
      if (pairs.length === 0 || pairs.some(([, d]) => d === undefined)) continue;
      const same = pairs.every(
        ([c, d]) =>
          JSON.stringify(c!.curve) === JSON.stringify(d!.curve) &&
          updateTrace(dir, c!.cell.run) === updateTrace(dir, d!.cell.run),
      );
      if (same)
        notes.push(
          `${estimators[i]} and ${estimators[j]} took identical updates (same loss and gradient norm at every step) in every cell (${pairs.length} pairs): in this trainer they are the same algorithm.`,
        );
    }
  }
  return notes;
}

function machine(info: ExperimentInfo): string {
  const cpus = os.cpus();
  const last = info.invocations[info.invocations.length - 1];
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}${last !== undefined ? `, ${last.parallel} runs at once` : ''}`;
}

function backendsUsed(dir: string, plan: Plan): string {
  const names = new Set<string>();
  for (const r of [...plan.bases, ...plan.cells]) {
    const b = readRunInfo(path.join(runsDir(dir), r.run))?.backend;
    if (b) names.add(`${b.name} (${b.detail.replace(/, binaries in .*$/, '')})`);
  }
  return names.size === 0 ? 'none yet' : [...names].join(', ');
}

function renderMarkdown(
  dir: string,
  report: ExperimentReport,
  plan: Plan,
  info: ExperimentInfo,
  notes: string[],
): string {
  const c = plan.config;
  const run = plan.cells[0]?.config;
  const L: string[] = [];
  L.push(`# Estimator study: ${c.name}`, '');
  L.push(
    `Written by \`bnpo experiment\` from the run directories and probe records in this folder (${report.createdAt}). ` +
      `Every number below is computed by code from those files; report.json holds them all.`,
    '',
  );
  if (!report.complete)
    L.push(
      `**Incomplete**: ${report.missing.length} cells or probes have not finished: ${report.missing.join(', ')}. Rerun the same command to resume.`,
      '',
    );
  L.push(
    `- Grid: ${c.tasks.length} task(s) (${[...new Set(plan.cells.map((x) => x.task))].join(', ')}) × ${c.estimators.length} estimators (${c.estimators.join(', ')}) × ${c.seeds.length} seeds (${c.seeds.join(', ')}); one SFT base per task and seed, shared by every estimator.`,
  );
  if (run !== undefined) {
    L.push(
      `- Budget per cell: ${run.steps} RL steps × ${run.promptsPerStep} prompts × ${run.groupSize} completions, lr ${run.lr}, ` +
        `model d=${run.model.dModel}, ${run.model.layers} layers; held-out evaluation every ${run.eval.every} steps on ${run.eval.size} prompts at temperature ${run.eval.temperature}; ` +
        `SFT warm start up to ${run.sft.maxSteps} steps or ${(100 * run.sft.targetAccuracy).toFixed(0)}% held-out accuracy; backend ${run.backend} → ${backendsUsed(dir, plan)}.`,
    );
  }
  L.push(
    `- Gradient-variance probes: ${c.variance.batches} independent rollout batches of ${c.variance.prompts} fixed prompts × ${run?.groupSize ?? '?'} completions per checkpoint, at ${c.variance.checkpoints.join(' and ')} checkpoints; every estimator's gradient on the same batches.`,
  );
  L.push(
    `- Loss aggregation (the estimator table, src/core/estimators.ts): ${c.estimators.map((e) => `${e} ${ESTIMATORS[e].lossAggregation}`).join(', ')}. ` +
      'The raw tr Cov ∇ compares gradient sizes, which the aggregation scales (Dr. GRPO’s is REINFORCE’s divided by the square of the generation budget); rel. var does not depend on such a constant.',
  );
  L.push(
    `- Machine: ${machine(info)}. Wall time: ${(info.wallSeconds / 60).toFixed(1)} min over ${info.invocations.length} invocation(s).`,
    '',
  );

  L.push('## Results (mean ± std over seeds)', '');
  L.push(
    '| task | estimator | seeds | base acc % | final acc % | Δ final − base | AUC % | steps to target | reached | collapsed | ends above BNPO | tr Cov ∇ (base) | tr Cov ∇ (final) | rel. var (base) | rel. var (final) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of report.rows) {
    L.push(
      `| ${r.task} | ${r.estimator} | ${r.seeds}/${r.planned} | ${pct(r.baseAccuracy)} | ${pct(r.finalAccuracy)} | ${pct(r.gain)} | ${pct(r.auc)} | ${num(r.stepsToTarget)} | ${r.reached}/${r.seeds} | ${r.collapsed}/${r.seeds} | ${r.aboveBnpo === null || r.estimator === 'bnpo' ? '–' : `${r.aboveBnpo}/${r.seeds}`} | ${sci(r.gradVarBase)} | ${sci(r.gradVarFinal)} | ${num(r.relVarBase, 2)} | ${num(r.relVarFinal, 2)} |`,
    );
  }
  const m = c.metrics;
  L.push(
    '',
    `Accuracy is held-out accuracy in % (the accuracy rule, ${run?.eval.size ?? '?'} prompts); Δ is in points. AUC: area under the held-out accuracy curve divided by the steps (the mean accuracy over training). ` +
      `Target: ${m.targetAccuracy !== undefined ? `${(100 * m.targetAccuracy).toFixed(1)}% held-out accuracy` : `the SFT base + ${(100 * m.targetGain).toFixed(0)} points`}; steps to target averages the seeds that reached it. ` +
      `Ends above BNPO: seeds whose final accuracy beat BNPO's from the same base. Collapsed: held-out accuracy more than ${(100 * m.collapseMargin).toFixed(0)} points below the base for the last ≥ ${m.collapseEvals} evaluations. ` +
      `tr Cov ∇: trace of the covariance of the policy gradient over the probe batches (same parameters, same prompts, same completions for every estimator); "final" averages the probes at the final checkpoints of all cells of that task and seed. ` +
      `rel. var: tr Cov / ‖mean gradient‖², which does not depend on the scale of the advantages (Adam's updates do not either).`,
    '',
  );
  for (const n of notes) L.push(`- ${n}`);
  if (notes.length > 0) L.push('');

  L.push('## Plots', '');
  for (const p of report.plots) L.push(`![${p}](${p})`, '');

  if (report.paired.length > 0) {
    const ests = [...new Set(report.paired.map((p) => p.estimator))];
    L.push('## Scale-free variance on the same batches, relative to BNPO', '');
    L.push(
      'For each probe, rel. var of the estimator divided by BNPO’s on the very same batches, averaged over the probes; ' +
        '< 1 means lower than BNPO. In brackets: in how many probes it was below BNPO.',
      '',
    );
    L.push(`| task | checkpoints | ${ests.join(' | ')} |`, `|---|---|${ests.map(() => '---|').join('')}`);
    for (const task of [...new Set(report.paired.map((p) => p.task))]) {
      for (const kind of ['base', 'final'] as const) {
        const cells = ests.map((e) =>
          report.paired.find((p) => p.task === task && p.kind === kind && p.estimator === e),
        );
        if (cells.every((x) => x === undefined)) continue;
        L.push(
          `| ${task} | ${kind === 'base' ? 'SFT bases' : 'final'} | ${cells.map((x) => (x === undefined ? '–' : `${fx(x.ratio)} (${x.below}/${x.probes})`)).join(' | ')} |`,
        );
      }
    }
    L.push('');
  }

  L.push('## Theory check: predicted vs measured variance ratio', '');
  L.push(
    'Predicted: the closed form V(α, β; a, b) = B(α, β)² · B(a + 3 − 2α, b + 3 − 2β) / B(a, b) at the Beta(a, b) the batches fitted, for BNPO (the α, β it fitted), GRPO (α = β = 3/2) and REINFORCE (α = β = 1), shown as V_BNPO / V_GRPO / V_REINFORCE with REINFORCE = 1 (mean over fits). ' +
      'Measured: the same ratios from the probes, of the mean squared advantage and of tr Cov ∇, with GRPO rescaled by (B(3/2, 3/2)·√(G/(G−1)))² to the density form the closed form uses (GRPO divides by the sample std, the density form by B(3/2,3/2)⁻¹·√(p(1−p))). ' +
      'GRPO’s tr Cov ratio is shown as – when its loss aggregation differs from REINFORCE’s (it weighs tokens differently, which the closed form does not model).',
    '',
  );
  L.push(
    '| task | a, b, α, β from | a | b | α | β | predicted | measured E[A²] | measured tr Cov ∇ |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  for (const t of report.theory) {
    L.push(
      `| ${t.task} | ${t.source} | ${fx(t.a, 2)} | ${fx(t.b, 2)} | ${fx(t.alpha, 3)} | ${fx(t.beta, 3)} | ${triple(t.predicted)} | ${triple(t.measuredAdv)} | ${triple(t.measuredGrad)} |`,
    );
  }
  L.push(
    '',
    'The closed form assumes the true success rate p of each prompt is known; the trainer uses p̂ from G completions, whose binomial noise biases the fitted a, b (and so α, β) toward 1 and gives groups with p̂ ∈ {0, 1} an advantage of exactly 0 under every estimator.',
    '',
  );
  return L.join('\n');
}

/** Reads the experiment folder and writes report.json, report.md and the SVG plots; returns the report. */
type CheckpointKind = PlannedProbe['kind'];

/** One probe field for one estimator: the mean over a seed's probes of that kind, then mean ± std over seeds. */
function probeStat(
  plan: Plan,
  probes: ReadonlyMap<string, VarianceRecord>,
  task: string,
  estimator: EstimatorName,
  kind: CheckpointKind,
  field: 'traceCov' | 'relVar',
): Stat {
  return stat(
    meanStd(
      plan.config.seeds.map((seed) => {
        const values = plan.probes
          .filter((p) => p.task === task && p.seed === seed && p.kind === kind)
          .map((p) => probes.get(p.id)?.estimators[estimator]?.[field])
          .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
        return values.length === 0 ? null : values.reduce((s, v) => s + v, 0) / values.length;
      }),
    ),
  );
}

/** How many of `done` end above the completed BNPO cell of the same task and seed; null when BNPO is not run. */
function countAboveBnpo(
  plan: Plan,
  cells: readonly CellData[],
  done: readonly CellData[],
  task: string,
): number | null {
  if (!plan.config.estimators.includes('bnpo')) return null;
  return done.filter((c) => {
    const b = cells.find(
      (x) =>
        x.completed && x.cell.task === task && x.cell.seed === c.cell.seed && x.cell.estimator === 'bnpo',
    );
    return b !== undefined && c.final !== null && b.final !== null && c.final > b.final;
  }).length;
}

function reportRow(
  plan: Plan,
  cells: readonly CellData[],
  probes: ReadonlyMap<string, VarianceRecord>,
  task: string,
  estimator: EstimatorName,
): ReportRow {
  const mine = cells.filter((c) => c.cell.task === task && c.cell.estimator === estimator);
  const done = mine.filter((c) => c.completed);
  const reachedSteps = done.map((c) => c.stepsToTarget).filter((s): s is number => s !== null);
  return {
    task,
    estimator,
    seeds: done.length,
    planned: mine.length,
    baseAccuracy: stat(meanStd(done.map((c) => c.base))),
    finalAccuracy: stat(meanStd(done.map((c) => c.final))),
    gain: stat(meanStd(done.map((c) => (c.final === null || c.base === null ? null : c.final - c.base)))),
    auc: stat(meanStd(done.map((c) => c.auc))),
    stepsToTarget: stat(meanStd(reachedSteps)),
    reached: reachedSteps.length,
    target: stat(meanStd(done.map((c) => c.target))),
    collapsed: done.filter((c) => c.collapsed).length,
    aboveBnpo: countAboveBnpo(plan, cells, done, task),
    gradVarBase: probeStat(plan, probes, task, estimator, 'base', 'traceCov'),
    gradVarFinal: probeStat(plan, probes, task, estimator, 'final', 'traceCov'),
    relVarBase: probeStat(plan, probes, task, estimator, 'base', 'relVar'),
    relVarFinal: probeStat(plan, probes, task, estimator, 'final', 'relVar'),
  };
}

/**
 * A log-scale bar chart of one variance measure: a group per estimator, a bar per probed checkpoint kind.
 * `pick` chooses the row's statistic for a kind (tr Cov or its scale-free form).
 */
function varianceChart(
  plan: Plan,
  rows: readonly ReportRow[],
  task: string,
  title: string,
  yLabel: string,
  pick: (row: ReportRow, kind: CheckpointKind) => Stat,
): string {
  const kinds = plan.config.variance.checkpoints;
  const groups = plan.config.estimators.map((e) => {
    const row = rows.find((r) => r.task === task && r.estimator === e)!;
    const bars = kinds.map((k) => {
      const s = pick(row, k);
      return s.mean === null ? null : { value: s.mean, std: s.std ?? 0 };
    });
    return { name: e, bars };
  });
  return logBarChart(
    title,
    yLabel,
    groups,
    kinds.map((k, i) => ({
      name: k === 'base' ? 'at SFT base' : 'at final ckpts',
      color: i === 0 ? '#4c72b0' : '#dd8452',
    })),
  );
}

/** Writes the task's accuracy curves and its two variance charts into `dir`; returns their file names. */
function writeTaskPlots(
  dir: string,
  plan: Plan,
  rows: readonly ReportRow[],
  curves: readonly Curve[],
  task: string,
): string[] {
  const series = curves
    .filter((c) => c.task === task && c.steps.length > 0)
    .map((c, i) => ({
      name: c.estimator,
      color: colorFor(c.estimator, i),
      x: c.steps,
      mean: c.mean,
      std: c.std,
    }));
  const charts: [string, string][] = [
    [
      `accuracy-${task}.svg`,
      lineChart(`${task}: held-out accuracy (mean ± std over seeds)`, 'RL step', 'held-out accuracy', series),
    ],
    [
      `gradvar-${task}.svg`,
      varianceChart(
        plan,
        rows,
        task,
        `${task}: policy-gradient variance, tr Cov (mean ± std over seeds)`,
        'tr Cov of the gradient (log scale)',
        (row, k) => (k === 'base' ? row.gradVarBase : row.gradVarFinal),
      ),
    ],
    [
      `relvar-${task}.svg`,
      varianceChart(
        plan,
        rows,
        task,
        `${task}: scale-free gradient variance, tr Cov / ‖mean‖² (mean ± std)`,
        'tr Cov / ‖mean gradient‖² (log scale)',
        (row, k) => (k === 'base' ? row.relVarBase : row.relVarFinal),
      ),
    ],
  ];
  for (const [file, svg] of charts) fs.writeFileSync(path.join(dir, file), svg);
  return charts.map(([file]) => file);
}

/** What the plan asks for that the folder does not hold yet: unfinished bases and cells, absent probe records. */
function missingParts(
  dir: string,
  plan: Plan,
  cells: readonly CellData[],
  probes: ReadonlyMap<string, VarianceRecord>,
): string[] {
  return [
    ...plan.bases
      .filter((b) => readRunInfo(path.join(runsDir(dir), b.run))?.status !== 'completed')
      .map((b) => b.run),
    ...cells.filter((c) => !c.completed).map((c) => c.cell.run),
    ...plan.probes.filter((p) => !probes.has(p.id)).map((p) => `probe ${p.id}`),
  ];
}

export async function writeReport(dir: string, plan: Plan, info: ExperimentInfo): Promise<ExperimentReport> {
  const cells = plan.cells.map((c) => readCell(dir, c, plan));
  const { records: probes } = readProbes(dir, plan);
  const tasks = [...new Set(plan.cells.map((c) => c.task))];
  const rows = tasks.flatMap((task) =>
    plan.config.estimators.map((estimator) => reportRow(plan, cells, probes, task, estimator)),
  );
  const curves = curvesFor(cells);
  const plots = tasks.flatMap((task) => writeTaskPlots(dir, plan, rows, curves, task));
  const missing = missingParts(dir, plan, cells, probes);
  const report: ExperimentReport = ExperimentReportSchema.parse({
    v: EXPERIMENT_VERSION,
    name: plan.config.name,
    createdAt: new Date().toISOString(),
    complete: missing.length === 0,
    missing,
    rows,
    theory: await theoryRows(dir, plan, cells, probes),
    paired: pairedRows(plan, probes),
    curves,
    plots,
    wallSeconds: info.wallSeconds,
  });
  const notes = [
    ...identicalRuns(dir, cells, plan.config.estimators),
    ...cells
      .filter((c) => c.collapsed)
      .map((c) => `${c.cell.run} collapsed: below base − margin from step ${c.collapseSince} to the end.`),
  ];
  fs.writeFileSync(path.join(dir, EXPERIMENT_FILES.reportJson), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, EXPERIMENT_FILES.reportMd), renderMarkdown(dir, report, plan, info, notes));
  return report;
}
