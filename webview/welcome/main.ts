// The welcome page: asks the host for its state with `ready`, draws it, and sends the user's choices back.
// Everything the host sends is validated first; data is put into the page as text, never as markup.
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-divider/index.js';
import { HostToWelcomeSchema } from '../../src/protocol/welcome';
import type { WelcomeState, WelcomeToHost } from '../../src/protocol/welcome';
import { element } from '../shared/dom';

interface VsCodeApi {
  postMessage(message: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app');

function send(message: WelcomeToHost): void {
  vscode.postMessage(message);
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

  const start = element('section', undefined, { class: 'start', 'aria-labelledby': 'start-heading' });
  start.append(element('h2', 'Start', { id: 'start-heading' }));
  const buttons = element('div', undefined, { class: 'actions' });
  for (const action of state.actions) {
    const button = document.createElement('vscode-button');
    button.textContent = action.title;
    button.dataset.action = action.id;
    button.addEventListener('click', () => send({ type: 'runAction', id: action.id }));
    buttons.append(button);
  }
  start.append(buttons);

  app.replaceChildren(header, facts, document.createElement('vscode-divider'), start);
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
