// The samples page: one step's prompt groups with their G completions, per-rule rewards (with the rule's reason)
// and advantages. Filters narrow to the groups BNPO learns nothing from (zero variance), order by the largest
// |advantage|, or show only completions a chosen rule failed.
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import { HostToSamplesSchema, SamplesViewStateSchema } from '../../src/protocol/samples';
import type { SamplesToHost, SamplesViewState } from '../../src/protocol/samples';
import type { RunStatus, SamplesRecord } from '../../src/protocol/runDir';
import { element, formatNumber, openPage, showError } from '../shared/page';
import {
  DEFAULT_FILTERS,
  filterSamples,
  maxAbsAdvantage,
  needsStep,
  sampledSteps,
  shownStep,
  zeroVariance,
} from './model';
import type { SamplesFilters, ShownGroup } from './model';

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

function completionRow(c: ShownGroup['completions'][number], rules: string[]): HTMLTableRowElement {
  const row = element('tr', undefined, { class: c.correct ? 'correct' : 'incorrect' });
  const text = element('td', undefined, { class: 'completion' });
  text.append(element('code', c.text === '' ? '(empty)' : c.text));
  row.append(text);
  for (const rule of rules) {
    const reward = c.rewards[rule];
    const reason = c.reasons[rule] ?? '';
    const td = element('td', undefined, {
      class: `reward ${reward === 1 ? 'pass' : 'fail'}`,
      'data-rule': rule,
    });
    td.append(
      element('span', reward === 1 ? '✓ 1' : reward === 0 ? '✗ 0' : '–', { class: 'mark' }),
      element('span', reason, { class: 'reason' }),
    );
    td.title = `${rule}: ${reward ?? '–'}${reason ? ` — ${reason}` : ''}`;
    row.append(td);
  }
  const adv = element('td', formatNumber(c.advantage, 3), {
    class: `advantage ${c.advantage > 0 ? 'pos' : c.advantage < 0 ? 'neg' : 'zero'}`,
    'data-value': String(c.advantage),
  });
  row.append(adv, element('td', String(c.tokens), { class: 'tokens' }));
  return row;
}

function groupSection({ record: g, completions }: ShownGroup, rules: string[]): HTMLElement {
  const section = element('section', undefined, { class: 'group', 'data-prompt': g.promptId });
  const h = element('h2');
  h.append(element('code', g.prompt));
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
  for (const c of completions) table.tBodies[0]!.append(completionRow(c, rules));
  section.append(h, facts, table);
  return section;
}

function render(): void {
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
      element('p', 'No samples yet: the trainer writes them every `sampleEvery` steps.', {
        class: 'placeholder',
      }),
    );
    app.setAttribute('aria-busy', 'false');
    return;
  }
  const step = shownStep(all, filters.step)!;
  if (needsStep(run.records, step, run.requested)) {
    run.requested.add(step);
    send({ type: 'requestStep', step });
  }
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
      [['', 'any'], ...run.rules.map((r): [string, string] => [r, r])],
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

  const shown = filterSamples(run.records, step, filters);
  const list = element('div', undefined, { class: 'groups' });
  for (const group of shown.groups) list.append(groupSection(group, run.rules));
  const summary = element(
    'p',
    `Step ${step}: ${shown.groups.length} of ${shown.total} groups shown, ${shown.completions} completions.`,
    { class: 'summary', 'data-testid': 'summary', 'data-groups': String(shown.groups.length) },
  );
  app.replaceChildren(header, bar, summary, list);
  app.setAttribute('aria-busy', 'false');
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
    persist();
    render();
  } else if (run && run.id === message.id && message.type === 'step') {
    // All of the step's groups: they replace what the page had of it.
    run.records = [...run.records.filter((r) => r.step !== message.step), ...message.records];
    run.steps.add(message.step);
    render();
  } else if (run && run.id === message.id && message.type === 'status') {
    run.status = message.status;
    render();
  } else if (run && run.id === message.id && message.type === 'append') {
    run.records.push(...message.records);
    // A chosen step stays; "latest" moves on.
    if (filters.step === null) render();
  }
});

send({ type: 'ready' });
