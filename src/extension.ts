// Wiring only: every feature registers itself and hands back disposables that land in the extension's scope.
import type * as vscode from 'vscode';
import { registerExperiment } from './host/experiment/openReport';
import { registerRules } from './host/rules/register';
import { registerStudio } from './host/runs/register';
import { registerVerl } from './host/verl/launchOnVerl';
import { registerWelcome } from './host/welcome/welcomePanel';

export function activate(context: vscode.ExtensionContext): void {
  context.subscriptions.push(...registerWelcome(context));
  context.subscriptions.push(...registerRules());
  context.subscriptions.push(...registerVerl(context));
  context.subscriptions.push(...registerStudio(context));
  context.subscriptions.push(...registerExperiment());
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code.
}
