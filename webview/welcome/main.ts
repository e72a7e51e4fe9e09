// The welcome page: asks the host for its state with `ready`, draws it (the walkthrough and first steps, the
// recent runs with the actions their status allows, settings), and sends the user's choices back.
// Everything the host sends is validated first; data is put into the page as text, never as markup.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { HostToWelcomeSchema } from '../../src/protocol/welcome';
import type { WelcomeAction, WelcomeState, WelcomeToHost } from '../../src/protocol/welcome';
import { element, reloadFailedStylesheets } from '../shared/dom';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
reloadFailedStylesheets();
const app = document.getElementById('app');

function send(message: WelcomeToHost): void {
  vscode.postMessage(message);
}

function actionButton(action: WelcomeAction, secondary = false): HTMLElement {
  const button = document.createElement('vscode-button');
  button.textContent = action.title;
  button.dataset.action = action.id;
  if (secondary) button.secondary = true;
  button.addEventListener('click', () => send({ type: 'runAction', id: action.id }));
  return button;
}

/** The walkthrough first (the one primary button), then the first steps. */
function startSection(state: WelcomeState): HTMLElement {
  const start = element('section', undefined, { class: 'start', 'aria-labelledby': 'start-heading' });
  start.append(
    element('h2', 'Get started', { id: 'start-heading' }),
    element(
      'p',
      'Six short steps: write reward rules, test them, train, watch the rewards and the Beta fit, read the completions.',
      { class: 'lead' },
    ),
  );
  const buttons = element('div', undefined, { class: 'actions' });
  state.start.forEach((action, i) => buttons.append(actionButton(action, i > 0)));
  start.append(buttons);
  return start;
}

function runsSection(state: WelcomeState): HTMLElement {
  const section = element('section', undefined, { class: 'runs', 'aria-labelledby': 'runs-heading' });
  section.append(element('h2', 'Recent runs', { id: 'runs-heading' }));
  if (state.runs.length === 0) {
    section.append(
      element('p', `No runs in ${state.runsFolder} yet. Launch one to see it here.`, {
        class: 'placeholder',
        'data-testid': 'no-runs',
      }),
    );
    return section;
  }
  const list = element('ul', undefined, { class: 'run-list' });
  for (const run of state.runs) {
    const item = element('li', undefined, { 'data-run': run.id, 'data-status': run.status });
    const name = element('div', undefined, { class: 'run-name' });
    name.append(
      element('span', run.label, { class: 'label' }),
      element('span', run.detail, { class: `detail status-${run.status}` }),
    );
    const buttons = element('div', undefined, { class: 'run-actions' });
    for (const action of run.actions) buttons.append(actionButton(action, true));
    item.append(name, buttons);
    list.append(item);
  }
  section.append(list);
  return section;
}

function render(state: WelcomeState): void {
  if (!app) return;
  const header = element('header');
  header.append(
    element('h1', 'BNPO Studio'),
    element(
      'p',
      'Reinforcement-learning fine-tuning of reasoning models with BNPO: write reward rules, train, ' +
        'and watch rewards, the Beta fit and sampled completions as the run goes.',
      { class: 'lead' },
    ),
  );

  const facts = element('dl', undefined, { class: 'facts' });
  facts.append(element('dt', 'Version'), element('dd', state.version, { 'data-testid': 'version' }));
  facts.append(
    element('dt', 'Runs folder'),
    element('dd', state.runsFolder, { 'data-testid': 'runs-folder' }),
  );

  const more = element('nav', undefined, { class: 'more actions', 'aria-label': 'More' });
  for (const action of state.more) more.append(actionButton(action, true));

  app.replaceChildren(
    header,
    startSection(state),
    runsSection(state),
    document.createElement('vscode-divider'),
    facts,
    more,
  );
  app.setAttribute('aria-busy', 'false');
}

function showError(text: string): void {
  if (!app) return;
  app.replaceChildren(element('p', text, { class: 'error', role: 'alert' }));
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = HostToWelcomeSchema.safeParse(event.data);
  if (!parsed.success) {
    showError(`The page received a message it does not understand: ${parsed.error.message}`);
    return;
  }
  render(parsed.data);
});

send({ type: 'ready' });
