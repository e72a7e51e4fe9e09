// The command table: every command the extension registers, declared once with its handler and whether it waits
// for workspace trust (registered by the one loop in commands.ts). Handlers live beside their features; runs
// commands reach the runs feature through its loader, so activation does not load it. (`bnpo.openWelcome` is
// registered by the welcome page with its serializer.)
import * as vscode from 'vscode';
import { COMMAND_IDS as C } from './commandIds';
import type { CommandSpec } from './commands';
import { openExperimentReport } from './experimentReport/openReport';
import type { AuditRulesArgs } from './rules/rulesAudit';
import { auditRulesCommand } from './rules/rulesAudit';
import type { RulesReportProvider, TestRulesArgs } from './rules/rulesCommands';
import { newRulesFileCommand, testRulesCommand } from './rules/rulesCommands';
import type { RunsFeature } from './runs/runsFeature';
import type { TrlLauncher } from './trl/launchOnTrl';
import type { LaunchOnVerlOptions, VerlLauncher } from './verl/launchOnVerl';

export interface CommandTargets {
  readonly runs: () => Promise<RunsFeature>;
  readonly ruleReports: RulesReportProvider;
  readonly verl: VerlLauncher;
  readonly trl: TrlLauncher;
}

const uriOrUndefined = (arg: unknown): vscode.Uri | undefined =>
  arg instanceof vscode.Uri ? arg : undefined;

export function commandTable(targets: CommandTargets): CommandSpec[] {
  const onRuns =
    (handler: (runs: RunsFeature, ...args: unknown[]) => unknown) =>
    async (...args: unknown[]): Promise<unknown> =>
      handler(await targets.runs(), ...args);
  return [
    { id: C.newRulesFile, run: () => newRulesFileCommand() },
    {
      id: C.testRules,
      // A Uri from the explorer or the code lens, or {rules, samples, quiet} from keybindings and tests.
      run: (arg) => testRulesCommand(targets.ruleReports, arg as vscode.Uri | TestRulesArgs | undefined),
    },
    {
      id: C.auditRules,
      run: (arg) => auditRulesCommand(targets.ruleReports, arg as vscode.Uri | AuditRulesArgs | undefined),
    },
    {
      id: C.launchOnVerl,
      // Trust is asked only for running it: showing the command works everywhere.
      run: (arg, options) =>
        targets.verl.launch(uriOrUndefined(arg), options as LaunchOnVerlOptions | undefined),
    },
    { id: C.launchOnTrl, trust: 'runTrl', run: (arg) => targets.trl.launch(uriOrUndefined(arg)) },
    { id: C.launchRun, trust: 'launch', run: onRuns((runs, arg) => runs.launch(arg)) },
    { id: C.resumeRun, trust: 'resume', run: onRuns((runs, arg) => runs.resume(arg)) },
    // Trust is asked only for runs this window did not start.
    { id: C.stopRun, run: onRuns((runs, arg) => runs.stop(arg)) },
    { id: C.checkpointNow, run: onRuns((runs, arg) => runs.checkpointNow(arg)) },
    { id: C.openDashboard, run: onRuns((runs, arg) => runs.openDashboard(arg)) },
    { id: C.openBetaFit, run: onRuns((runs, arg) => runs.openBetaFit(arg)) },
    { id: C.showSamples, run: onRuns((runs, arg, options) => runs.showSamples(arg, options)) },
    { id: C.compareRuns, run: onRuns((runs, arg, selected) => runs.compare(arg, selected)) },
    { id: C.openRunsTable, run: onRuns((runs) => runs.openRunsTable()) },
    { id: C.exportMetricsCsv, run: onRuns((runs, arg) => runs.exportCsv(arg)) },
    { id: C.exportModel, trust: 'export', run: onRuns((runs, arg, choice) => runs.exportModel(arg, choice)) },
    { id: C.showTrainerLog, run: onRuns((runs, arg) => runs.showLog(arg)) },
    { id: C.revealRunFolder, run: onRuns((runs, arg) => runs.revealFolder(arg)) },
    { id: C.refreshRuns, run: onRuns((runs) => runs.refresh()) },
    { id: C.followRunsFolder, run: onRuns((runs, folder) => runs.follow(folder)) },
    { id: C.runPageData, run: onRuns((runs, arg) => runs.pageData(arg)) },
    { id: C.openExperimentReport, run: (arg) => openExperimentReport(uriOrUndefined(arg)) },
  ];
}
