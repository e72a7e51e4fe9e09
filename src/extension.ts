// Wiring only: the supervisor and the features are created here, every command is registered from the one command
// table, and every disposable lands in the extension's scope.
import * as vscode from 'vscode';
import { commandTable } from './host/commandTable';
import { registerCommands } from './host/commands';
import { LaunchLedger } from './host/process/launchLedger';
import { Supervisor } from './host/process/supervisor';
import { registerRules } from './host/rules/register';
import { registerRuns } from './host/runs/register';
import { TrlLauncher } from './host/trl/launchOnTrl';
import { VerlLauncher } from './host/verl/launchOnVerl';
import { registerWelcome } from './host/welcome/welcomePanel';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('BNPO Trainer', { log: true });
  const supervisor = new Supervisor(log, context.logUri.fsPath, new LaunchLedger(context.workspaceState));
  const rules = registerRules();
  const runs = registerRuns(context, log, supervisor);
  const verl = new VerlLauncher(context.extensionUri, supervisor);
  const trl = new TrlLauncher(context.extensionUri, supervisor);
  context.subscriptions.push(
    log,
    { dispose: () => supervisor.dispose() },
    ...registerWelcome(context),
    ...rules.disposables,
    ...runs.disposables,
    verl,
    trl,
    ...registerCommands(commandTable({ runs: runs.load, ruleReports: rules.reports, verl, trl }), log),
  );
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code; supervised processes keep running.
}
