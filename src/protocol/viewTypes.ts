// The panels' view types (their serializers' keys and `onWebviewPanel:` activation events), in a module without
// dependencies: activation registers the serializers before any schema is loaded.
export const DASHBOARD_VIEW_TYPE = 'bnpo.dashboard';
export const BETA_FIT_VIEW_TYPE = 'bnpo.betaFit';
export const SAMPLES_VIEW_TYPE = 'bnpo.samples';
export const RUNS_TABLE_VIEW_TYPE = 'bnpo.runsTable';
