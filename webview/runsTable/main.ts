// The runs table page: a toolbar (text filter, colour by, group by, Compare, clear filters), a header row of sort
// buttons with a filter field under each, and one row per run (or per group, each under its mean ± std). The
// toolbar and header are built once, so typing in a filter keeps its focus; live updates redraw only the rows.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import {
  HostToRunsTableSchema,
  RUNS_TABLE_COLUMNS,
  RunsTableViewStateSchema,
} from '../../src/protocol/runsTable';
import type { RunsTableColumn, RunsTableToHost, RunsTableViewState } from '../../src/protocol/runsTable';
import { element, onThemeChange, openPage, showError, themeColours } from '../shared/page';
import {
  COLUMNS,
  colourIndex,
  compareRequest,
  formatSpread,
  groupRows,
  nextSort,
  shownRows,
  tableRow,
} from './model';
import type { RowGroup, TableRow } from './model';

const { vscode, app, send, saved } = openPage<RunsTableViewState, RunsTableToHost>(RunsTableViewStateSchema, {
  charts: false,
});

const state: RunsTableViewState = saved ?? RunsTableViewStateSchema.parse({});
const rows = new Map<string, TableRow>();
let loaded = false;

const summary = element('p', '', { class: 'summary', 'data-testid': 'summary', 'aria-live': 'polite' });
const legend = element('ul', undefined, { class: 'legend', 'data-testid': 'legend' });
const body = element('tbody');
const headers = new Map<RunsTableColumn, { th: HTMLTableCellElement; arrow: HTMLElement }>();
const filterFields = new Map<RunsTableColumn, HTMLInputElement>();
let compareButton: HTMLElement & { disabled: boolean };
let textField: HTMLElement & { value: string };

function persist(): void {
  vscode.setState(state);
}

function changed(): void {
  persist();
  renderRows();
}

function columnSelect(
  label: string,
  value: RunsTableColumn | null,
  testid: string,
  onChange: (v: RunsTableColumn | null) => void,
): HTMLElement {
  const wrap = element('label', label);
  const select = document.createElement('vscode-single-select');
  select.dataset.testid = testid;
  for (const [v, text] of [['', 'None'], ...RUNS_TABLE_COLUMNS.map((c) => [c, COLUMNS[c].label])] as const) {
    const option = document.createElement('vscode-option');
    option.value = v;
    option.textContent = text;
    option.selected = v === (value ?? '');
    select.append(option);
  }
  select.addEventListener('change', () => {
    const chosen = RUNS_TABLE_COLUMNS.find((c) => c === select.value);
    onChange(chosen ?? null);
  });
  wrap.append(select);
  return wrap;
}

function toolbar(): HTMLElement {
  const bar = element('div', undefined, { class: 'toolbar', role: 'toolbar', 'aria-label': 'Runs table' });
  textField = document.createElement('vscode-textfield');
  textField.dataset.testid = 'filter';
  textField.setAttribute('placeholder', 'Filter runs (any column, folder)');
  textField.setAttribute('aria-label', 'Filter runs');
  textField.value = state.text;
  textField.addEventListener('input', () => {
    state.text = textField.value;
    changed();
  });
  const colour = columnSelect('Colour by', state.colourBy, 'colour-by', (c) => {
    state.colourBy = c;
    changed();
  });
  const group = columnSelect('Group by', state.groupBy, 'group-by', (c) => {
    state.groupBy = c;
    changed();
  });
  compareButton = document.createElement('vscode-button');
  compareButton.dataset.testid = 'compare';
  compareButton.addEventListener('click', () => {
    const request = compareRequest(currentRows(), state.selected, state.groupBy);
    if (request) send({ type: 'compare', ...request });
  });
  const clear = document.createElement('vscode-button');
  clear.textContent = 'Clear filters';
  clear.secondary = true;
  clear.dataset.testid = 'clear-filters';
  clear.addEventListener('click', () => {
    state.text = '';
    state.columnFilters = {};
    textField.value = '';
    for (const field of filterFields.values()) field.value = '';
    changed();
  });
  bar.append(textField, colour, group, compareButton, clear);
  return bar;
}

function headerRows(): HTMLTableSectionElement {
  const head = element('thead');
  const names = element('tr');
  const filters = element('tr', undefined, { class: 'filters' });
  names.append(element('th', undefined, { class: 'select' }));
  filters.append(element('td', undefined, { class: 'select' }));
  for (const column of RUNS_TABLE_COLUMNS) {
    const spec = COLUMNS[column];
    const th = element('th', undefined, {
      scope: 'col',
      'data-column': column,
      class: spec.numeric ? 'numeric' : '',
    });
    const button = element('button', spec.label, { type: 'button', class: 'sort', title: spec.description });
    const arrow = element('span', '', { class: 'arrow', 'aria-hidden': 'true' });
    button.append(arrow);
    button.addEventListener('click', () => {
      state.sort = nextSort(state.sort, column);
      changed();
    });
    th.append(button);
    names.append(th);
    headers.set(column, { th, arrow });
    const field = element('input', undefined, {
      type: 'text',
      'aria-label': `Filter ${spec.label}`,
      placeholder: spec.numeric ? '>0.5' : 'filter',
      'data-column': column,
    });
    field.value = state.columnFilters[column] ?? '';
    field.addEventListener('input', () => {
      state.columnFilters = { ...state.columnFilters, [column]: field.value };
      changed();
    });
    filterFields.set(column, field);
    const cell = element('td');
    cell.append(field);
    filters.append(cell);
  }
  head.append(names, filters);
  return head;
}

function currentRows(): TableRow[] {
  return shownRows([...rows.values()], state);
}

function checkbox(label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLInputElement {
  const box = element('input', undefined, { type: 'checkbox', 'aria-label': label });
  box.checked = checked;
  box.addEventListener('change', () => onChange(box.checked));
  return box;
}

function setSelected(ids: readonly string[], on: boolean): void {
  const selected = new Set(state.selected);
  for (const id of ids) {
    if (on) selected.add(id);
    else selected.delete(id);
  }
  state.selected = [...selected];
  changed();
}

function rowElement(row: TableRow, colour: string | undefined): HTMLTableRowElement {
  const selected = state.selected.includes(row.id);
  const tr = element('tr', undefined, { 'data-run': row.id, 'aria-selected': String(selected) });
  const select = element('td', undefined, { class: 'select' });
  select.append(checkbox(`Select ${row.id}`, selected, (on) => setSelected([row.id], on)));
  tr.append(select);
  for (const column of RUNS_TABLE_COLUMNS) {
    const cell = row.cells[column];
    const td = element('td', undefined, {
      'data-column': column,
      class: `${COLUMNS[column].numeric ? 'numeric' : ''}${column === 'status' ? ` state-${cell.text}` : ''}`,
    });
    if (cell.title !== undefined) td.title = cell.title;
    if (column === 'run') {
      if (colour !== undefined) {
        const swatch = element('span', undefined, { class: 'swatch', 'aria-hidden': 'true' });
        swatch.style.backgroundColor = colour;
        td.append(swatch);
      }
      const open = element('button', cell.text, {
        type: 'button',
        class: 'link',
        title: `Open the dashboard of ${row.id}`,
      });
      open.addEventListener('click', () => send({ type: 'open', runId: row.id }));
      td.append(open);
    } else td.textContent = cell.text;
    tr.append(td);
  }
  return tr;
}

function groupHeader(group: RowGroup, column: RunsTableColumn): HTMLTableRowElement {
  const tr = element('tr', undefined, { class: 'group', 'data-group': group.key });
  const ids = group.rows.map((r) => r.id);
  const all = ids.every((id) => state.selected.includes(id));
  const select = element('td', undefined, { class: 'select' });
  select.append(
    checkbox(`Select the runs of ${COLUMNS[column].label} ${group.key}`, all, (on) => setSelected(ids, on)),
  );
  const th = element('th', undefined, { colspan: String(RUNS_TABLE_COLUMNS.length), scope: 'rowgroup' });
  th.append(
    element('span', `${COLUMNS[column].label} ${group.key}`, { class: 'group-key' }),
    element('span', `${group.rows.length} run${group.rows.length === 1 ? '' : 's'}`),
    element('span', `reward ${formatSpread(group.reward)}`, { 'data-testid': 'group-reward' }),
    element('span', `held-out ${formatSpread(group.accuracy)}`),
  );
  tr.append(select, th);
  return tr;
}

function renderLegend(colours: Map<string, number> | undefined, palette: readonly string[]): void {
  legend.replaceChildren();
  if (!colours || state.colourBy === null) return;
  legend.append(element('li', `${COLUMNS[state.colourBy].label}:`, { class: 'legend-title' }));
  for (const [text, index] of colours) {
    const item = element('li');
    const swatch = element('span', undefined, { class: 'swatch', 'aria-hidden': 'true' });
    swatch.style.backgroundColor = palette[index] ?? '';
    item.append(swatch, element('span', text));
    legend.append(item);
  }
}

function renderHeaderState(): void {
  for (const [column, { th, arrow }] of headers) {
    const sorted = state.sort.column === column;
    th.setAttribute('aria-sort', sorted ? state.sort.direction : 'none');
    arrow.textContent = sorted ? (state.sort.direction === 'ascending' ? ' ▲' : ' ▼') : '';
  }
}

function renderCompare(shown: readonly TableRow[]): void {
  const request = compareRequest(shown, state.selected, state.groupBy);
  compareButton.disabled = request === undefined;
  compareButton.textContent = !request
    ? 'Compare (select 2 runs)'
    : request.groups
      ? `Compare ${request.groups.length} group${request.groups.length === 1 ? '' : 's'}`
      : `Compare ${request.runIds.length} runs`;
}

function renderRows(): void {
  if (!loaded) return;
  // Rows are rebuilt: the focused control's row and kind say where focus goes back to.
  const active = document.activeElement;
  const focusedRow = active?.closest<HTMLElement>('tbody tr');
  const focusKey = focusedRow?.dataset.run ?? focusedRow?.dataset.group;
  const focusKind = active?.matches('button.link') === true ? 'button.link' : 'input';
  const shown = currentRows();
  const palette = themeColours().series;
  const colours =
    state.colourBy === null ? undefined : colourIndex([...rows.values()], state.colourBy, palette.length);
  const colourOf = (row: TableRow): string | undefined =>
    colours && state.colourBy !== null
      ? palette[colours.get(row.cells[state.colourBy].text) ?? 0]
      : undefined;
  const rowsOut: HTMLTableRowElement[] = [];
  if (state.groupBy === null) for (const row of shown) rowsOut.push(rowElement(row, colourOf(row)));
  else
    for (const group of groupRows(shown, state.groupBy))
      rowsOut.push(
        groupHeader(group, state.groupBy),
        ...group.rows.map((row) => rowElement(row, colourOf(row))),
      );
  if (shown.length === 0) {
    const empty = element('tr');
    empty.append(
      element('td', rows.size === 0 ? 'No runs yet.' : 'No run matches the filters.', {
        colspan: String(RUNS_TABLE_COLUMNS.length + 1),
        class: 'placeholder',
      }),
    );
    rowsOut.push(empty);
  }
  body.replaceChildren(...rowsOut);
  const selectedShown = shown.filter((r) => state.selected.includes(r.id)).length;
  summary.textContent = `${rows.size} run${rows.size === 1 ? '' : 's'} · ${shown.length} shown · ${selectedShown} selected`;
  renderHeaderState();
  renderCompare(shown);
  renderLegend(colours, palette);
  if (focusKey !== undefined) {
    const key = CSS.escape(focusKey);
    body
      .querySelector<HTMLElement>(`tr[data-run="${key}"] ${focusKind}, tr[data-group="${key}"] input`)
      ?.focus();
  }
}

function build(): void {
  const header = element('header');
  header.append(element('h1', 'Runs'), summary);
  const table = element('table', undefined, { class: 'runs', 'data-testid': 'runs-table' });
  table.append(headerRows(), body);
  const scroller = element('div', undefined, { class: 'scroller' });
  scroller.append(table);
  app.replaceChildren(header, toolbar(), legend, scroller);
  app.setAttribute('aria-busy', 'false');
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostToRunsTableSchema.safeParse(event.data);
  if (!parsed.success) {
    showError(app, `The runs table received a message it does not understand: ${parsed.error.message}`);
    return;
  }
  const message = parsed.data;
  if (message.type === 'runs') {
    rows.clear();
    for (const run of message.runs) rows.set(run.id, tableRow(run));
  } else if (message.type === 'run') rows.set(message.run.id, tableRow(message.run));
  else rows.delete(message.id);
  if (!loaded) {
    loaded = true;
    build();
  }
  renderRows();
});

onThemeChange(renderRows);
send({ type: 'ready' });
