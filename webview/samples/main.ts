// The samples page, two views. "By step": one step's prompt groups with their G completions, per-rule rewards
// (with the rule's reason) and advantages; filters narrow to the groups BNPO learns nothing from (zero
// variance), order by the largest |advantage|, or show only completions a chosen rule failed. "All completions":
// every step's completions in one searchable, filterable, sortable table (table.ts).
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { HostToSamplesSchema, SamplesViewStateSchema } from '../../src/protocol/samples';
import type { SamplesToHost, SamplesViewState } from '../../src/protocol/samples';
import type { RunStatus } from '../../src/protocol/runDir';
import { keepFocus, keyed } from '../shared/a11y';
import { element, formatNumber, openPage, showError } from '../shared/page';
import { liveRedraw } from '../shared/liveRedraw';
import {
  DEFAULT_FILTERS,
  filterSamples,
  flaggedView,
  maxAbsAdvantage,
  needsStep,
  sampledSteps,
  shownStep,
  zeroVariance,
} from './model';
import type { SamplesFilters, SamplesRecord, ShownGroup } from './model';
import { TABLE_PAGE_ROWS, advantageCell, completionText, completionsTable, rewardCell } from './table';

const { vscode, app, send, saved } = openPage<SamplesViewState, SamplesToHost>(SamplesViewStateSchema, {
  charts: false,
});

interface RunView {
  id: string;
  label: string;
  status: RunStatus;
  rules: string[];
  /** The groups of the steps loaded so far; the host sends a step's when the page asks (`requestStep`). */
  records: SamplesRecord[];
  /** Every sampled step the host listed. */
  steps: Set<number>;
  requested: Set<number>;
}

const filters: SamplesFilters = saved ?? { ...DEFAULT_FILTERS };
let run: RunView | undefined;
let tableRows = TABLE_PAGE_ROWS;

function persist(): void {
  if (run) vscode.setState({ runId: run.id, ...filters });
}

function select(
  options: [string, string][],
  value: string,
  testid: string,
  onChange: (v: string) => void,
): HTMLElement {
  const s = document.createElement('vscode-single-select');
  s.dataset.testid = testid;
  for (const [v, text] of options) {
    const o = document.createElement('vscode-option');
    o.value = v;
    o.textContent = text;
    o.selected = v === value;
    s.append(o);
  }
  s.addEventListener('change', () => onChange(s.value));
  return s;
}

function completionRow(
  c: ShownGroup['completions'][number],
  rules: string[],
  key: string,
  index: number,
): HTMLTableRowElement {
  const row = element('tr', undefined, { class: c.correct ? 'correct' : 'incorrect' });
  const text = element('td', undefined, { class: 'completion' });
  text.append(completionText(c.text, `group:${key}:${index}`));
  row.append(text);
  for (const rule of rules) row.append(rewardCell(c, rule));
  row.append(advantageCell(c.advantage), element('td', String(c.tokens), { class: 'tokens' }));
  return row;
}

function groupSection({ record: g, completions }: ShownGroup, rules: string[]): HTMLElement {
  const section = element('section', undefined, { class: 'group', 'data-prompt': g.promptId });
  const h = element('h2');
  h.append(completionText(g.prompt, `prompt:${g.step}:${g.promptId}`));
  const answer = g.sample.answer;
  const facts = element('p', undefined, { class: 'facts' });
  facts.append(
    element(
      'span',
      `answer ${typeof answer === 'string' || typeof answer === 'number' ? String(answer) : '–'}`,
    ),
    element('span', `${g.completions.length} completions`),
    element('span', `max |A| ${formatNumber(maxAbsAdvantage(g), 3)}`),
  );
  if (zeroVariance(g)) facts.append(element('span', 'zero variance: no advantage', { class: 'badge' }));
  const table = element('table', undefined, { class: 'completions' });
  const head = element('tr');
  head.append(element('th', 'completion'));
  for (const rule of rules) head.append(element('th', rule));
  head.append(element('th', 'advantage'), element('th', 'tokens'));
  table.append(element('thead'), element('tbody'));
  table.tHead!.append(head);
  // Keyed by the completion's place in its group, which filtering does not change.
  for (const c of completions)
    table.tBodies[0]!.append(completionRow(c, rules, `${g.step}:${g.promptId}`, g.completions.indexOf(c)));

  section.append(h, facts, table);
  return section;
}

/** Every redraw gives the keyboard focus back to the control that had it. */
function render(): void {
  keepFocus(draw);
}

function draw(): void {
  if (!run) return;
  const all = sampledSteps(run.records, run.steps);
  const header = element('header');
  header.append(
    element('h1', `Samples · ${run.label}`),
    element('span', run.status, { class: `status status-${run.status}`, 'data-testid': 'run-status' }),
  );
  if (all.length === 0) {
    app.replaceChildren(
      header,
      element(
        'p',
        run.status === 'running'
          ? 'No samples yet: the trainer writes them every `sampleEvery` steps.'
          : 'This run has no sampled completions: a BNPO run writes them every few steps (its sampleEvery setting), and another tool’s log (TensorBoard, TRL, verl) has none.',
        { class: 'placeholder' },
      ),
    );
    app.setAttribute('aria-busy', 'false');
    return;
  }
  const body = filters.view === 'table' ? tableView(run) : stepView(run, all);
  app.replaceChildren(header, viewSwitch(), ...body);
  app.setAttribute('aria-busy', 'false');
}

/** "By step" or "All completions": two toggle buttons (aria-pressed), as the workbench's own view toggles. */
function viewSwitch(): HTMLElement {
  const group = element('div', undefined, { class: 'view-switch', role: 'group', 'aria-label': 'View' });
  const views: [SamplesFilters['view'], string][] = [
    ['step', 'By step'],
    ['table', 'All completions'],
  ];
  for (const [view, text] of views) {
    const button = keyed(
      element('button', text, {
        type: 'button',
        'aria-pressed': String(filters.view === view),
        'data-testid': `view-${view}`,
      }),
      `view-${view}`,
    );
    button.addEventListener('click', () => {
      filters.view = view;
      persist();
      render();
    });
    group.append(button);
  }
  return group;
}

/** Asks the host for the steps of `steps` the page has not got nor asked for yet. */
function request(shown: RunView, steps: readonly number[]): void {
  for (const step of steps) {
    if (!needsStep(shown.records, step, shown.requested)) continue;
    shown.requested.add(step);
    send({ type: 'requestStep', step });
  }
}

/** The table searches every step: the host sends those the page lacks, one message each, as they are read. */
function tableView(shown: RunView): HTMLElement[] {
  request(shown, sampledSteps(shown.records, shown.steps));
  return completionsTable(shown.records, shown.rules, filters.query, tableRows, {
    change: (update) => {
      filters.query = update(filters.query);
      tableRows = TABLE_PAGE_ROWS;
      persist();
      scheduleRender();
    },
    more: () => {
      tableRows += TABLE_PAGE_ROWS;
      render();
    },
  });
}

function stepView(shown: RunView, all: number[]): HTMLElement[] {
  const step = shownStep(all, filters.step)!;
  request(shown, [step]);
  const bar = element('div', undefined, { class: 'toolbar', role: 'toolbar' });
  const stepLabel = element('label', 'Step');
  stepLabel.append(
    select(
      [
        ['latest', `latest (${all[all.length - 1]})`],
        ...all.map((s): [string, string] => [String(s), String(s)]),
      ],
      filters.step === null ? 'latest' : String(step),
      'step',
      (v) => {
        filters.step = v === 'latest' ? null : Number(v);
        persist();
        render();
      },
    ),
  );
  const zero = document.createElement('vscode-checkbox');
  zero.label = 'Zero-variance groups only';
  zero.checked = filters.zeroVarianceOnly;
  zero.dataset.testid = 'zero-variance';
  zero.addEventListener('change', () => {
    filters.zeroVarianceOnly = zero.checked;
    persist();
    render();
  });
  const orderLabel = element('label', 'Order');
  orderLabel.append(
    select(
      [
        ['prompt', 'as sampled'],
        ['advantage', 'largest |advantage| first'],
      ],
      filters.order,
      'order',
      (v) => {
        filters.order = v === 'advantage' ? 'advantage' : 'prompt';
        persist();
        render();
      },
    ),
  );
  const failedLabel = element('label', 'Failed rule');
  failedLabel.append(
    select(
      [['', 'any'], ...shown.rules.map((r): [string, string] => [r, r])],
      filters.failedRule ?? '',
      'failed-rule',
      (v) => {
        filters.failedRule = v === '' ? null : v;
        persist();
        render();
      },
    ),
  );
  bar.append(stepLabel, zero, orderLabel, failedLabel);

  const kept = filterSamples(shown.records, step, filters);
  const list = element('div', undefined, { class: 'groups' });
  for (const group of kept.groups) list.append(groupSection(group, shown.rules));
  const summary = element(
    'p',
    `Step ${step}: ${kept.groups.length} of ${kept.total} groups shown, ${kept.completions} completions.`,
    { class: 'summary', 'data-testid': 'summary', 'data-groups': String(kept.groups.length) },
  );
  return [bar, summary, list];
}

/** What a live run's new samples (and steps the page asked for) cause: a redraw at most once a second. */
const scheduleLive = liveRedraw(render);

let frame = 0;
/** Typing in the search redraws once per frame, not once per key. */
function scheduleRender(): void {
  if (frame !== 0) return;
  frame = requestAnimationFrame(() => {
    frame = 0;
    render();
  });
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostToSamplesSchema.safeParse(event.data);
  if (!parsed.success) {
    showError(app, `The samples panel received a message it does not understand: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  if (message.type === 'run') {
    run = {
      id: message.id,
      label: message.label,
      status: message.status,
      rules: message.rules,
      records: message.records,
      steps: new Set(message.steps ?? []),
      requested: new Set(),
    };
    if (message.show === 'flagged') Object.assign(filters, flaggedView(filters));
    persist();
    render();
  } else if (run && run.id === message.id && message.type === 'step') {
    // All of the step's groups: they replace what the page had of it.
    run.records = [...run.records.filter((r) => r.step !== message.step), ...message.records];
    run.steps.add(message.step);
    scheduleLive();
  } else if (run && run.id === message.id && message.type === 'status') {
    run.status = message.status;
    render();
  } else if (run && run.id === message.id && message.type === 'append') {
    run.records.push(...message.records);
    // A chosen step stays; "latest" moves on.
    if (filters.step === null) scheduleLive();
  }
});

send({ type: 'ready' });
