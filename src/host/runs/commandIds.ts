// The studio's command ids (package.json contributes each one), in a module without dependencies.
export const STUDIO_COMMANDS = {
  launch: 'bnpo.launchRun',
  stop: 'bnpo.stopRun',
  resume: 'bnpo.resumeRun',
  dashboard: 'bnpo.openDashboard',
  betaFit: 'bnpo.openBetaFit',
  samples: 'bnpo.showSamples',
  compare: 'bnpo.compareRuns',
  exportCsv: 'bnpo.exportMetricsCsv',
  log: 'bnpo.showTrainerLog',
  reveal: 'bnpo.revealRunFolder',
  refresh: 'bnpo.refreshRuns',
} as const;
export type StudioCommand = (typeof STUDIO_COMMANDS)[keyof typeof STUDIO_COMMANDS];
