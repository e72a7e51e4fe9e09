// The samples page's completions table: every completion of every sampled step in one table, searched and
// filtered by the query in the page's view state (model.ts decides; this file only draws). Also the completion
// cell both views share: a long completion shows a preview and a "Show all" toggle, never a 3,000 px cell.
import type { CompletionQuery } from '../../src/protocol/samples';
import { ADVANTAGE_FILTERS } from '../../src/protocol/samples';
import { keyed } from '../shared/a11y';
import { element, formatNumber } from '../shared/page';
import {
  DEFAULT_QUERY,
  completionRows,
  filtersActive,
  knownFlags,
  preview,
  queryCompletions,
  sizeLabel,
} from './model';
import type { CompletionRow, SampledCompletion, SamplesRecord } from './model';

/** Rows drawn at first; "Show more" adds as many again. */
export const TABLE_PAGE_ROWS = 100;

/** Texts the user expanded, by key: a redraw (new samples arriving) keeps them expanded. */
const expanded = new Set<string>();

/**
 * A completion's text: whole when short; else a preview and a button that shows the rest (and hides it again).
 * `key` names the text across redraws.
 */
export function completionText(text: string, key: string): HTMLElement {
  const box = element('div', undefined, { class: 'completion-text' });
  const code = element('code', text === '' ? '(empty)' : text);
  box.append(code);
  const { shown, hidden } = preview(text);
  if (hidden === 0) return box;
  const toggle = keyed(
    element('button', '', { class: 'link-button', type: 'button', 'data-testid': 'expand' }),
    `expand:${key}`,
  );
  const show = (open: boolean): void => {
    box.dataset.collapsed = String(!open);
    code.textContent = open ? text : `${shown}…`;
    toggle.textContent = open ? 'Show less' : `Show all (${sizeLabel(text.length)})`;
    toggle.setAttribute('aria-expanded', String(open));
  };
  show(expanded.has(key));
  toggle.addEventListener('click', () => {
    const open = !expanded.has(key);
    if (open) expanded.add(key);
    else expanded.delete(key);
    show(open);
  });
  box.append(toggle);
  return box;
}

/** The rule's verdict, "✓ 1" or "✗ 0", kept on one line. */
export function rewardCell(c: SampledCompletion, rule: string): HTMLTableCellElement {
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
  return td;
}

export function advantageCell(advantage: number): HTMLTableCellElement {
  return element('td', formatNumber(advantage, 3), {
    class: `advantage ${advantage > 0 ? 'pos' : advantage < 0 ? 'neg' : 'zero'}`,
    'data-value': String(advantage),
  });
}

export interface TableHandlers {
  /**
   * Changes the query from what it is when the user acts (not from what it was when the table was drawn: a
   * redraw may be pending); the page persists it and redraws.
   */
  change(update: (query: CompletionQuery) => CompletionQuery): void;
}

interface Choice {
  value: string;
  text: string;
}

/** A native select: keyboard and screen readers get the platform's own control. */
function choiceSelect(
  label: string,
  choices: readonly Choice[],
  value: string,
  key: string,
  onChange: (value: string) => void,
): HTMLLabelElement {
  const wrapper = element('label', label);
  const select = keyed(element('select', undefined, { 'data-testid': key }), key);
  for (const choice of choices) {
    const option = element('option', choice.text, { value: choice.value });
    option.selected = choice.value === value;
    select.append(option);
  }
  select.addEventListener('change', () => onChange(select.value));
  wrapper.append(select);
  return wrapper;
}

const ADVANTAGE_TEXT: Record<CompletionQuery['advantage'], string> = {
  any: 'any',
  positive: 'positive (reinforced)',
  negative: 'negative (discouraged)',
  zero: 'zero (no signal)',
};

const SORT_TEXT: Record<CompletionQuery['sort'], string> = {
  step: 'step',
  advantage: 'advantage',
  tokens: 'tokens',
  length: 'length',
};

function queryBar(
  query: CompletionQuery,
  rules: readonly string[],
  flags: readonly string[],
  on: TableHandlers,
): HTMLElement {
  const bar = element('div', undefined, { class: 'toolbar', role: 'search' });
  const set = (patch: Partial<CompletionQuery>): void => on.change((now) => ({ ...now, ...patch }));
  const search = keyed(
    element('input', undefined, {
      type: 'search',
      placeholder: 'Search prompts and completions',
      'aria-label': 'Search prompts and completions',
      'data-testid': 'search',
      class: 'search',
    }),
    'search',
  );
  search.value = query.text;
  search.addEventListener('input', () => set({ text: search.value }));
  const results = rules.flatMap((rule): Choice[] => [
    { value: `${rule}:1`, text: `${rule} ✓ passed` },
    { value: `${rule}:0`, text: `${rule} ✗ failed` },
  ]);
  bar.append(
    search,
    choiceSelect(
      'Rule result',
      [{ value: '', text: 'any' }, ...results],
      query.ruleResult ?? '',
      'rule-result',
      (v) => set({ ruleResult: v === '' ? null : v }),
    ),
    choiceSelect(
      'Advantage',
      ADVANTAGE_FILTERS.map((a) => ({ value: a, text: ADVANTAGE_TEXT[a] })),
      query.advantage,
      'advantage-filter',
      (v) => set({ advantage: ADVANTAGE_FILTERS.find((a) => a === v) ?? 'any' }),
    ),
  );
  // Shown once some completion carries a flag (a reward audit writes them).
  if (flags.length > 0 || query.flag !== null) {
    const choices = [
      { value: '', text: 'flagged or not' },
      { value: '*', text: 'flagged by the audit (any flag)' },
      ...flags.map((f) => ({ value: f, text: f })),
    ];
    bar.append(
      choiceSelect('Flagged', choices, query.flag ?? '', 'flag-filter', (v) =>
        set({ flag: v === '' ? null : v }),
      ),
    );
  }
  if (filtersActive(query)) {
    const clear = keyed(
      element('button', 'Clear filters', {
        type: 'button',
        class: 'link-button',
        'data-testid': 'clear-filters',
      }),
      'clear-filters',
    );
    clear.addEventListener('click', () =>
      on.change((now) => ({ ...DEFAULT_QUERY, sort: now.sort, descending: now.descending })),
    );
    bar.append(clear);
  }
  return bar;
}

/** A column header that sorts: a button with the direction in aria-sort, as the workbench's tables do. */
function sortHeader(
  key: CompletionQuery['sort'],
  query: CompletionQuery,
  on: TableHandlers,
): HTMLTableCellElement {
  const active = query.sort === key;
  const th = element('th', undefined, {
    scope: 'col',
    'aria-sort': active ? (query.descending ? 'descending' : 'ascending') : 'none',
  });
  const button = keyed(
    element('button', `${SORT_TEXT[key]}${active ? (query.descending ? ' ▼' : ' ▲') : ''}`, {
      type: 'button',
      class: 'sort',
      'data-testid': `sort-${key}`,
      title: `Sort by ${SORT_TEXT[key]}`,
    }),
    `sort-${key}`,
  );
  button.addEventListener('click', () =>
    on.change((now) => ({
      ...now,
      sort: key,
      descending: now.sort === key ? !now.descending : key !== 'step',
    })),
  );
  th.append(button);
  return th;
}

function tableRow(row: CompletionRow, rules: readonly string[]): HTMLTableRowElement {
  const c = row.completion;
  const tr = element('tr', undefined, {
    class: c.correct ? 'correct' : 'incorrect',
    'data-step': String(row.step),
    'data-prompt': row.promptId,
  });
  const prompt = element('td', undefined, { class: 'prompt' });
  const at = `${row.step}:${row.promptId}`;
  prompt.append(completionText(row.prompt, `prompt:${at}`));
  const text = element('td', undefined, { class: 'completion' });
  text.append(completionText(c.text, `table:${at}:${row.index}`));
  tr.append(element('td', String(row.step), { class: 'num' }), prompt, text);
  for (const rule of rules) tr.append(rewardCell(c, rule));
  tr.append(
    advantageCell(c.advantage),
    element('td', String(c.tokens), { class: 'num tokens' }),
    element('td', String(c.text.length), { class: 'num' }),
    element('td', row.flags.join(', '), { class: 'flags' }),
  );
  return tr;
}

/** The toolbar, a count, the table and a "Show more" while rows are left. */
const stepCount = (n: number): string => (n === 1 ? '1 step' : `${n} steps`);

export function completionsTable(
  records: readonly SamplesRecord[],
  rules: readonly string[],
  query: CompletionQuery,
  limit: number,
  on: TableHandlers & { more(): void },
): HTMLElement[] {
  const all = completionRows(records);
  const kept = queryCompletions(all, query);
  const summary = element(
    'p',
    `${kept.length} of ${all.length} completions across ${stepCount(new Set(records.map((r) => r.step)).size)}${
      kept.length > limit ? `; the first ${limit} shown` : ''
    }.`,
    { class: 'summary', 'data-testid': 'table-summary', 'data-rows': String(kept.length), role: 'status' },
  );
  const table = element('table', undefined, { class: 'completions all', 'data-testid': 'completions-table' });
  const head = element('tr');
  head.append(
    sortHeader('step', query, on),
    element('th', 'prompt', { scope: 'col' }),
    element('th', 'completion', { scope: 'col' }),
  );
  for (const rule of rules) head.append(element('th', rule, { scope: 'col' }));
  head.append(
    sortHeader('advantage', query, on),
    sortHeader('tokens', query, on),
    sortHeader('length', query, on),
    element('th', 'flags', { scope: 'col' }),
  );
  table.append(element('thead'), element('tbody'));
  table.tHead!.append(head);
  for (const row of kept.slice(0, limit)) table.tBodies[0]!.append(tableRow(row, rules));
  // A wide table scrolls in its own box; the page (and its toolbar) stays put.
  const scroller = element('div', undefined, { class: 'table-scroll' });
  scroller.append(table);
  const parts: HTMLElement[] = [queryBar(query, rules, knownFlags(all), on), summary, scroller];
  if (kept.length > limit) {
    const more = keyed(
      element('button', `Show ${TABLE_PAGE_ROWS} more`, { type: 'button', class: 'link-button' }),
      'more',
    );
    more.addEventListener('click', () => on.more());
    parts.push(more);
  }
  return parts;
}
