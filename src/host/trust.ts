// Why an action waits for workspace trust, said in one place. The command table refuses whole commands; a command
// that needs trust only for some of what it does (running verl rather than showing its command, stopping a run this
// window did not start) asks here too.

/** Actions that run or signal code named by the workspace. */
export type TrustedAction = 'launch' | 'resume' | 'stop' | 'export' | 'runVerl' | 'runTrl';

const REFUSALS: Record<TrustedAction, { what: string; why: string }> = {
  launch: {
    what: 'launch a training run',
    why: "Training executes code on this machine and reads the workspace's reward rules, datasets and run configurations",
  },
  resume: {
    what: 'resume a training run',
    why: "Training executes code on this machine and reads the workspace's reward rules, datasets and run configurations",
  },
  stop: {
    what: 'stop a run this window did not start',
    why: 'Stopping signals the process that a run folder of this workspace names',
  },
  export: {
    what: 'export a model',
    why: "Exporting runs the trainer's code on this machine and reads the run's model folder",
  },
  runVerl: {
    what: 'launch a verl run',
    why: 'verl executes code on this machine ("Show command" works everywhere)',
  },
  runTrl: {
    what: 'launch a TRL run',
    why: 'TRL runs the Python that `bnpo.trl.python` names and the workspace’s model, dataset and rules',
  },
};

/** The message shown instead of acting in an untrusted workspace; undefined when the action is allowed. */
export function untrustedRefusal(isTrusted: boolean, action: TrustedAction): string | undefined {
  if (isTrusted) return undefined;
  const { what, why } = REFUSALS[action];
  return (
    `BNPO cannot ${what}: this workspace is not trusted. ${why}, so it waits until you trust the workspace ` +
    `(Workspaces: Manage Workspace Trust). Viewing runs and editing rules work without trust.`
  );
}
