// Every command id of the extension (package.json contributes each palette command; a test checks both agree), in
// a module without dependencies so panels and views can name commands without loading their features.
export const COMMAND_IDS = {
  openWelcome: 'bnpo.openWelcome',
  newRulesFile: 'bnpo.newRulesFile',
  testRules: 'bnpo.testRules',
  auditRules: 'bnpo.auditRules',
  launchRun: 'bnpo.launchRun',
  launchOnVerl: 'bnpo.launchOnVerl',
  launchOnTrl: 'bnpo.launchOnTrl',
  stopRun: 'bnpo.stopRun',
  checkpointNow: 'bnpo.checkpointNow',
  resumeRun: 'bnpo.resumeRun',
  openDashboard: 'bnpo.openDashboard',
  openBetaFit: 'bnpo.openBetaFit',
  showSamples: 'bnpo.showSamples',
  compareRuns: 'bnpo.compareRuns',
  openRunsTable: 'bnpo.openRunsTable',
  exportMetricsCsv: 'bnpo.exportMetricsCsv',
  exportModel: 'bnpo.exportModel',
  showTrainerLog: 'bnpo.showTrainerLog',
  revealRunFolder: 'bnpo.revealRunFolder',
  refreshRuns: 'bnpo.refreshRuns',
  openExperimentReport: 'bnpo.openExperimentReport',
  /** Internal (not contributed): adds a folder of run folders to the Runs view, for this workspace. */
  followRunsFolder: 'bnpo.followRunsFolder',
  /** Internal (not contributed): what the run panels' pages get for a run (dashboard, Beta fit, samples). */
  runPageData: 'bnpo.runPageData',
} as const;
export type CommandId = (typeof COMMAND_IDS)[keyof typeof COMMAND_IDS];
