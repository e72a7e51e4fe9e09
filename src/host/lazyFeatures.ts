// The entry of dist/features.js: every feature of the extension, activated by the stubs of ./lazy.ts once activation
// has returned (or when a command or a restored panel needs them first). Commands and panel serializers go through
// the Registrar, whose stubs VS Code already holds; everything else registers with VS Code directly.
import * as vscode from 'vscode';
import { commandTable } from './commandTable';
import { registerCommands } from './commands';
import type { Registrar } from './lazy';
import { LaunchLedger } from './process/launchLedger';
import { Supervisor } from './process/supervisor';
import { registerRules } from './rules/register';
import { registerRuns } from './runs/register';
import { TrlLauncher } from './trl/launchOnTrl';
import { VerlLauncher } from './verl/launchOnVerl';
import { registerWelcome } from './welcome/welcomePanel';

export function activateFeatures(
  context: vscode.ExtensionContext,
  registrar: Registrar,
): vscode.Disposable[] {
  const log = vscode.window.createOutputChannel('BNPO Trainer', { log: true });
  const supervisor = new Supervisor(log, context.logUri.fsPath, new LaunchLedger(context.workspaceState));
  const rules = registerRules();
  const runs = registerRuns(context, log, supervisor, registrar);
  const verl = new VerlLauncher(context.extensionUri, supervisor);
  const trl = new TrlLauncher(context.extensionUri, supervisor);
  return [
    log,
    { dispose: () => supervisor.dispose() },
    ...registerWelcome(context, registrar),
    ...rules.disposables,
    ...runs.disposables,
    verl,
    trl,
    ...registerCommands(
      commandTable({ runs: runs.load, ruleReports: rules.reports, verl, trl }),
      log,
      registrar,
    ),
  ];
}
