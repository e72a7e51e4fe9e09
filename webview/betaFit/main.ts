// The Beta-fit page: what BNPO did at one step, rule by rule. The histogram is the batch's p̂; the curves are the
// Beta(a, b) fitted to it and the normaliser f(·; α, β) BNPO divides by; the points are the weight 1/f each p̂ got.
// Densities and weights are computed here with the trainer's own core functions, from the fit the trainer recorded.
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import uPlot from 'uplot';
import { ESTIMATORS, isEstimatorName } from '../../src/core/estimators';
import { BetaFitViewStateSchema, HostToBetaFitSchema } from '../../src/protocol/betaFit';
import type { BetaFitStep, BetaFitToHost, BetaFitViewState } from '../../src/protocol/betaFit';
import type { BetaFit } from '../../src/protocol/runDir';
import { accessibleChart, dataTable, keepFocus, keyed } from '../shared/a11y';
import type { ChartAccess } from '../shared/a11y';
import { openPage, element, formatNumber, onThemeChange, showError, themeColours } from '../shared/page';
import { liveRedraw } from '../shared/liveRedraw';
import {
  GLOSSARY,
  currentStep,
  guardSteps,
  guidance,
  historyData,
  meanPHat,
  mergeSteps,
  ruleChartData,
  splitBins,
  stepAtSlider,
} from './model';
import type { BetaFitRun, RuleChartData, WeighedBin, WeightSplit } from './model';

const { vscode, app, send, saved } = openPage<BetaFitViewState, BetaFitToHost>(BetaFitViewStateSchema, {
  charts: true,
});

let chosenStep: number | null = saved?.step ?? null;
let run: BetaFitRun | undefined;
let plots: uPlot[] = [];
let historyPlot: uPlot | undefined;
let glossaryOpen = false;

function persist(): void {
  if (run) vscode.setState({ runId: run.id, step: chosenStep });
}

/** Steps are whole numbers: no 2.5 on a step axis. */
const STEP_INCREMENTS = [
  1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000,
];

function cell(text: string, testid: string, value?: number | string | null): HTMLTableCellElement {
  const td = element('td', text, { 'data-testid': testid });
  if (value !== undefined) td.dataset.value = value === null ? 'null' : String(value);
  return td;
}

function fitTable(rule: string, fit: BetaFit, pHat: readonly number[]): HTMLTableElement {
  const table = element('table', undefined, { class: 'numbers', 'aria-label': `Fit of ${rule}` });
  const mean = meanPHat(pHat);
  const head = element('tr');
  const headers: [string, string][] = [
    ['groups', 'Prompt groups in the batch'],
    ['mean p̂', `Mean of the groups’ ${GLOSSARY.pHat}`],
    ['a', GLOSSARY.a],
    ['b', GLOSSARY.b],
    ['α', GLOSSARY.alpha],
    ['β', GLOSSARY.beta],
    ['guard', 'Guard that replaced the fit with α = β = 1 (f ≡ 1)'],
  ];
  for (const [h, title] of headers) head.append(element('th', h, { title, scope: 'col' }));
  const row = element('tr');
  row.append(
    cell(String(pHat.length), 'fit-groups', pHat.length),
    cell(formatNumber(mean), 'fit-mean', mean),
    cell(formatNumber(fit.a), 'fit-a', fit.a),
    cell(formatNumber(fit.b), 'fit-b', fit.b),
    cell(formatNumber(fit.alpha), 'fit-alpha', fit.alpha),
    cell(formatNumber(fit.beta), 'fit-beta', fit.beta),
    cell(fit.guard ?? 'none', 'fit-guard', fit.guard),
  );
  table.append(element('thead'), element('tbody'));
  table.tHead!.append(head);
  table.tBodies[0]!.append(row);
  return table;
}

function weightTable(list: readonly WeighedBin[]): HTMLTableElement {
  const table = element('table', undefined, {
    class: 'numbers weights',
    'aria-label': 'Weight on R − p̂ per p̂, by estimator',
  });
  const head = element('tr');
  const headers: [string, string][] = [
    ['p̂', GLOSSARY.pHat],
    ['groups', 'Prompt groups with this p̂'],
    ['f(p̂; α, β)', GLOSSARY.f],
    ['BNPO 1/f', GLOSSARY.weight],
    ['GRPO 1/σ', 'GRPO divides R − p̂ by the group’s standard deviation √(G·p̂(1 − p̂)/(G − 1))'],
    ['REINFORCE', 'REINFORCE with a per-prompt mean baseline leaves R − p̂ as it is: weight 1'],
  ];
  for (const [h, title] of headers) head.append(element('th', h, { title, scope: 'col' }));
  table.append(element('thead'), element('tbody'));
  table.tHead!.append(head);
  for (const b of list) {
    const row = element('tr', undefined, { 'data-p': String(b.p) });
    row.append(
      cell(formatNumber(b.p, 3), 'p', b.p),
      cell(String(b.count), 'count', b.count),
      cell(formatNumber(b.f), 'f', b.f),
      cell(formatNumber(b.weight, 3), 'weight', b.weight),
      cell(formatNumber(b.grpo, 3), 'weight-grpo', b.grpo),
      cell(formatNumber(b.reinforce, 3), 'weight-reinforce', b.reinforce),
    );
    table.tBodies[0]!.append(row);
  }
  return table;
}

/** The groups at p̂ = 0 or 1, shown apart from the weights: whatever their weight, their advantage is 0. */
function noSignalNote(split: WeightSplit): HTMLElement | undefined {
  const { tooHard, tooEasy } = split;
  if (tooHard + tooEasy === 0) return undefined;
  const parts = [
    ...(tooHard > 0 ? [`${tooHard} at p̂ = 0`] : []),
    ...(tooEasy > 0 ? [`${tooEasy} at p̂ = 1`] : []),
  ];
  return element(
    'p',
    `No signal: every completion scored the same in ${tooHard + tooEasy} groups (${parts.join(', ')}); their advantage is 0, so they are left out of the weights.`,
    {
      class: 'no-signal',
      'data-testid': 'no-signal',
      'data-too-hard': String(tooHard),
      'data-too-easy': String(tooEasy),
    },
  );
}

function guidanceList(split: WeightSplit): HTMLElement {
  const list = element('ul', undefined, { class: 'guidance', 'data-testid': 'guidance' });
  for (const line of guidance(split)) list.append(element('li', line));
  return list;
}

/** What the symbols mean, for a reader who has not read the paper (the table headers carry the same as hovers). */
function glossary(): HTMLElement {
  const details = element('details', undefined, { class: 'glossary' });
  details.append(keyed(element('summary', 'What the symbols mean'), 'glossary'));
  // Live steps redraw the page: it stays open once opened.
  details.open = glossaryOpen;
  details.addEventListener('toggle', () => {
    glossaryOpen = details.open;
  });
  const list = element('dl');
  for (const text of Object.values(GLOSSARY)) {
    const [term, ...rest] = text.split(': ');
    list.append(element('dt', term), element('dd', rest.join(': ')));
  }
  details.append(list);
  return details;
}

function ruleChart(container: HTMLElement, chart: RuleChartData): uPlot {
  const colours = themeColours();
  const { xs, fitCurve, normaliser, weights, bars, top, groupSize: g } = chart;
  const [histColour, fitColour, fColour, wColour] = [
    colours.series[0]!,
    colours.series[1]!,
    colours.series[2]!,
    colours.series[3]!,
  ];
  const font = `${getComputedStyle(document.body).getPropertyValue('--vscode-font-size').trim() || '12px'} ${getComputedStyle(document.body).getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
  const grid = { stroke: colours.grid, width: 1 };
  const opts: uPlot.Options = {
    width: Math.max(300, container.clientWidth),
    height: 240,
    scales: {
      x: { time: false, range: [0, 1] },
      y: { range: [0, top] },
      w: { distr: chart.weightAxis.log ? 3 : 1, range: [chart.weightAxis.min, chart.weightAxis.max] },
    },
    series: [
      { label: 'p', value: (_u, v) => formatNumber(v, 3) },
      {
        label: `fitted Beta(a, b)`,
        stroke: fitColour,
        width: 2,
        dash: [6, 3],
        points: { show: false },
        value: (_u, v) => formatNumber(v),
      },
      {
        label: `normaliser f(p; α, β)`,
        stroke: fColour,
        width: colours.highContrast ? 3 : 2,
        points: { show: false },
        value: (_u, v) => formatNumber(v),
      },
      {
        label: 'BNPO weight 1/f at each p̂ (0 < p̂ < 1)',
        scale: 'w',
        stroke: wColour,
        fill: wColour,
        paths: () => null,
        points: { show: true, size: 8, stroke: wColour, fill: wColour },
        value: (_u, v) => formatNumber(v),
      },
    ],
    axes: [
      {
        stroke: colours.foreground,
        grid,
        ticks: grid,
        font,
        label: 'p̂ (share of the group’s completions the rule rewarded)',
        labelFont: font,
      },
      { stroke: colours.foreground, grid, ticks: grid, font, label: 'density', labelFont: font, size: 50 },
      {
        scale: 'w',
        side: 1,
        stroke: wColour,
        grid: { show: false },
        ticks: { show: false },
        font,
        label: 'weight 1/f',
        labelFont: font,
        // Room for the tick values and the label beside them, outside the plotting area.
        size: 64,
        labelGap: 6,
        values: (_u, vals) => vals.map((v) => formatNumber(v, 2)),
      },
    ],
    // Dashed series get dashed legend markers: the legend tells the lines apart without colour.
    legend: { live: true, markers: { dash: (u, i) => (u.series[i]?.dash ? 'dashed' : 'solid') } },
    cursor: { points: { size: 6 } },
    hooks: {
      // Bars go under the curves: uPlot draws axes, then series.
      drawAxes: [
        (u) => {
          const ctx = u.ctx;
          ctx.save();
          ctx.fillStyle = histColour;
          ctx.globalAlpha = colours.highContrast ? 0.6 : 0.35;
          ctx.strokeStyle = histColour;
          ctx.lineWidth = 1;
          for (const b of bars) {
            const left = u.valToPos(Math.max(0, b.p - 0.5 / g), 'x', true);
            const right = u.valToPos(Math.min(1, b.p + 0.5 / g), 'x', true);
            const y = u.valToPos(Math.min(b.height, top), 'y', true);
            const base = u.valToPos(0, 'y', true);
            ctx.fillRect(left, y, right - left - 1, base - y);
            ctx.globalAlpha = 1;
            ctx.strokeRect(left, y, right - left - 1, base - y);
            ctx.globalAlpha = colours.highContrast ? 0.6 : 0.35;
          }
          ctx.restore();
        },
      ],
    },
  };
  return new uPlot(opts, [xs, fitCurve, normaliser, weights], container);
}

function historyChart(container: HTMLElement, current: number): uPlot | undefined {
  if (!run || run.steps.length === 0) return undefined;
  const colours = themeColours();
  const series: uPlot.Series[] = [{ label: 'step' }];
  run.rules.forEach((rule, i) => {
    const colour = colours.series[i % colours.series.length]!;
    series.push(
      {
        label: `${rule} α (solid)`,
        stroke: colour,
        width: 2,
        points: { show: false },
        value: (_u, v) => formatNumber(v),
      },
      {
        label: `${rule} β (dashed)`,
        stroke: colour,
        width: 2,
        dash: [6, 3],
        points: { show: false },
        value: (_u, v) => formatNumber(v),
      },
    );
  });
  const guards = guardSteps(run).map((s) => s.step);
  const font = `${getComputedStyle(document.body).getPropertyValue('--vscode-font-size').trim() || '12px'} ${getComputedStyle(document.body).getPropertyValue('--vscode-font-family').trim() || 'sans-serif'}`;
  const grid = { stroke: colours.grid, width: 1 };
  const guardColour = colours.series[4]!;
  const opts: uPlot.Options = {
    width: Math.max(300, container.clientWidth),
    height: 220,
    scales: { x: { time: false } },
    series,
    axes: [
      {
        stroke: colours.foreground,
        grid,
        ticks: grid,
        font,
        label: 'step',
        labelFont: font,
        incrs: STEP_INCREMENTS,
      },
      { stroke: colours.foreground, grid, ticks: grid, font, size: 50 },
    ],
    // Dashed series get dashed legend markers: the legend tells the lines apart without colour.
    legend: { live: true, markers: { dash: (u, i) => (u.series[i]?.dash ? 'dashed' : 'solid') } },
    hooks: {
      drawAxes: [
        (u) => {
          const ctx = u.ctx;
          const top = u.bbox.top;
          const bottom = u.bbox.top + u.bbox.height;
          ctx.save();
          // Guard events: thin marks at the top, so the lines stay readable when guards are frequent.
          ctx.fillStyle = guardColour;
          for (const s of guards) {
            const x = u.valToPos(s, 'x', true);
            ctx.fillRect(x - 1.5 * devicePixelRatio, top, 3 * devicePixelRatio, 10 * devicePixelRatio);
          }
          // The step shown above.
          const x = u.valToPos(current, 'x', true);
          ctx.strokeStyle = colours.foreground;
          ctx.setLineDash([4 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, bottom);
          ctx.stroke();
          ctx.restore();
        },
      ],
    },
  };
  return new uPlot(opts, historyData(run) as uPlot.AlignedData, container);
}

/** The rule chart for keyboard and screen readers: what it shows, and its numbers at every p̂. */
function ruleChartAccess(rule: string, chart: RuleChartData): ChartAccess {
  return {
    key: `rule:${rule}`,
    label: `${rule}: histogram of p̂ with the fitted Beta(a, b), the normaliser f and BNPO's weights`,
    table: () =>
      dataTable(
        `${rule}: the histogram's bars (density) and the curves at each p̂ of the batch`,
        ['p̂', 'histogram', 'fitted Beta(a, b)', 'f(p̂; α, β)', 'weight 1/f'],
        chart.bars.map((bar) => {
          const i = chart.xs.indexOf(bar.p);
          return [
            formatNumber(bar.p, 3),
            formatNumber(bar.height),
            formatNumber(chart.fitCurve[i]),
            formatNumber(chart.normaliser[i]),
            formatNumber(chart.weights[i]),
          ];
        }),
      ),
  };
}

function historyAccess(shown: BetaFitRun): ChartAccess {
  return {
    key: 'history',
    label: `α and β of ${shown.rules.join(', ')} over ${shown.steps.length} steps`,
    table: () => {
      const data = historyData(shown);
      const headers = ['step', ...shown.rules.flatMap((r) => [`${r} α`, `${r} β`])];
      const rows = data[0]!.map((stepNo, i) => [
        String(stepNo),
        ...data.slice(1).map((column) => formatNumber(column[i])),
      ]);
      return dataTable('α and β at each step', headers, rows);
    },
  };
}

function explanation(estimator: string): HTMLElement {
  const box = element('section', undefined, { class: 'explain', 'aria-label': 'What BNPO does' });
  box.append(
    element(
      'p',
      'For every prompt the policy samples G completions; p̂ is the share a rule rewarded. BNPO fits a Beta(a, b) to ' +
        'the batch’s p̂ by moments, sets α = max(1, 1 + a/3) and β = max(1, 1 + b/3) — the pair that minimises the ' +
        'policy gradient’s variance under that Beta — and divides each advantage R − p̂ by f(p̂; α, β).',
    ),
    element(
      'p',
      'So prompts whose p̂ is common in this batch (where f is high) are damped and rare ones are boosted. When α = β = 1 ' +
        '(a guard fired, or the fit is flat) f ≡ 1 and BNPO is REINFORCE with a per-prompt mean baseline. Groups with ' +
        'p̂ = 0 or 1 get no advantage whatever their weight: all their completions scored the same.',
    ),
  );
  if (estimator !== 'bnpo') {
    box.append(
      element(
        'p',
        `This run uses ${isEstimatorName(estimator) ? ESTIMATORS[estimator].summary : `the ${estimator} estimator`}: the fit is recorded for comparison, but its advantages do not use f.`,
        {
          class: 'note',
        },
      ),
    );
  }
  return box;
}

/** The step slider and the follow switch; both keep the keyboard focus across the redraw they cause. */
function stepControls(shown: BetaFitRun, step: BetaFitStep): HTMLElement {
  const controls = element('div', undefined, { class: 'toolbar', role: 'toolbar' });
  const first = shown.steps[0]!.step;
  const last = shown.steps[shown.steps.length - 1]!.step;
  const slider = keyed(
    element('input', undefined, {
      type: 'range',
      min: String(first),
      max: String(last),
      step: '1',
      value: String(step.step),
      'aria-label': 'Step',
      'aria-valuetext': `step ${step.step} of ${last}`,
      'data-testid': 'step-slider',
    }),
    'step-slider',
  );
  const stepLabel = element('span', `step ${step.step} of ${last}`, {
    class: 'value',
    'data-testid': 'step',
    'data-step': String(step.step),
  });
  slider.addEventListener('change', () => {
    const wanted = Number(slider.value);
    chosenStep = stepAtSlider(shown, wanted);
    persist();
    render();
  });
  slider.addEventListener('input', () => {
    stepLabel.textContent = `step ${slider.value} of ${last}`;
  });
  const follow = document.createElement('vscode-checkbox');
  follow.label = 'Follow the live step';
  follow.checked = chosenStep === null;
  follow.dataset.testid = 'follow';
  keyed(follow, 'follow');
  follow.addEventListener('change', () => {
    chosenStep = follow.checked ? null : step.step;
    persist();
    render();
  });
  controls.append(slider, stepLabel, follow);
  return controls;
}

/** Every redraw gives the keyboard focus back to the control that had it (the slider under the arrow keys). */
function render(): void {
  keepFocus(draw);
}

function draw(): void {
  for (const p of plots) p.destroy();
  plots = [];
  historyPlot?.destroy();
  historyPlot = undefined;
  if (!run) return;
  const step = currentStep(run, chosenStep);
  const header = element('header');
  header.append(
    element('h1', `Beta fit · ${run.label}`),
    element('span', run.status, { class: `status status-${run.status}`, 'data-testid': 'run-status' }),
  );
  if (!step) {
    // A finished run without fits is not waiting for one: say why there is none (another tool's log has none).
    const empty =
      run.status === 'running'
        ? 'No RL step has finished yet.'
        : 'This run records no Beta fit: a BNPO run records one per RL step, and another tool’s log (TensorBoard, TRL, verl) has none. Its metrics are on the dashboard.';
    app.replaceChildren(header, element('p', empty, { class: 'placeholder' }));
    app.setAttribute('aria-busy', 'false');
    return;
  }
  const controls = stepControls(run, step);

  const rules = element('div', undefined, { class: 'rules' });
  const pending: [HTMLElement, RuleChartData][] = [];
  for (const rule of run.rules) {
    const fit = step.fits[rule];
    const section = element('section', undefined, {
      class: 'rule',
      'data-rule': rule,
      'aria-label': `Rule ${rule}`,
    });
    section.append(element('h2', rule));
    if (!fit) {
      section.append(element('p', 'No fit recorded for this rule at this step.', { class: 'placeholder' }));
      rules.append(section);
      continue;
    }
    const pHat = step.pHat[rule] ?? [];
    const split = splitBins(pHat, fit, step.groupSize);
    section.append(guidanceList(split), fitTable(rule, fit, pHat));
    if (fit.guard) {
      section.append(
        element(
          'p',
          `Guard “${fit.guard}”: the moments define no Beta (every p̂ equal, or a non-finite fit), so α = β = 1 and f ≡ 1.`,
          {
            class: 'guard',
          },
        ),
      );
    }
    const body = element('div', undefined, { class: 'plot' });
    const chart = ruleChartData(step, rule);
    section.append(chart ? accessibleChart(body, ruleChartAccess(rule, chart)) : body);
    if (pHat.length === 0)
      section.append(element('p', 'groups.jsonl has no p̂ for this step yet.', { class: 'placeholder' }));
    const note = noSignalNote(split);
    if (note) section.append(note);
    section.append(weightTable(split.informative));
    rules.append(section);
    if (chart) pending.push([body, chart]);
  }
  const history = element('section', undefined, { class: 'history', 'aria-label': 'α and β over the steps' });
  const historyBody = element('div', undefined, { class: 'plot' });
  const guarded = guardSteps(run);
  history.append(
    element('h2', 'α and β over the steps'),
    accessibleChart(historyBody, historyAccess(run)),
    element(
      'p',
      guarded.length === 0
        ? 'No guard fired.'
        : `Guard events (marked on top): ${guarded.length} of ${run.steps.length} steps, e.g. step ${guarded
            .slice(0, 8)
            .map((s) => s.step)
            .join(', ')}${guarded.length > 8 ? ', …' : '.'}`,
      { class: 'legend-note', 'data-testid': 'guard-steps', 'data-count': String(guarded.length) },
    ),
  );
  app.replaceChildren(header, explanation(step.estimator), glossary(), controls, rules, history);
  app.setAttribute('aria-busy', 'false');
  // Charts need their containers laid out to know their width.
  for (const [body, chart] of pending) plots.push(ruleChart(body, chart));
  historyPlot = historyChart(historyBody, step.step);
}

/** What a live run's new steps and status cause: a redraw at most once a second. */
const scheduleRender = liveRedraw(render);

onThemeChange(render);
new ResizeObserver(() => {
  for (const p of [...plots, ...(historyPlot ? [historyPlot] : [])]) {
    const width = Math.max(300, p.root.parentElement?.clientWidth ?? p.width);
    if (Math.abs(width - p.width) > 4) p.setSize({ width, height: p.height });
  }
}).observe(app);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostToBetaFitSchema.safeParse(event.data);
  if (!parsed.success) {
    showError(app, `The Beta-fit panel received a message it does not understand: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  switch (message.type) {
    case 'run':
      if (run && run.id !== message.id) chosenStep = null;
      run = {
        id: message.id,
        label: message.label,
        status: message.status,
        rules: message.rules,
        steps: message.steps,
      };
      persist();
      render();
      break;
    case 'append': {
      if (!run || run.id !== message.id) return;
      mergeSteps(run, message.steps);
      // A chosen step stays put; following, the page moves to the newest step.
      scheduleRender();
      break;
    }
    case 'status':
      if (!run || run.id !== message.id) return;
      run.status = message.status;
      scheduleRender();
      break;
  }
});

send({ type: 'ready' });
