// What the welcome page offers: a short start (the walkthrough, the first steps in the order a new user takes
// them), the recent runs with only the actions their status allows (Stop while running, Resume once stopped or
// failed), and settings. Titles come from the manifest, so a renamed command follows. Pure, so it is tested
// without an editor.
import type { RunStatus } from '../../protocol/runDir';
import { COMMAND_IDS } from '../commandIds';

export interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

export interface WelcomeActionSpec {
  id: string;
  title: string;
  /** The VS Code command the host runs for this action, with its arguments. */
  command: string;
  args: unknown[];
}

export const OPEN_SETTINGS_ACTION = 'openSettings';
export const OPEN_WALKTHROUGH_ACTION = 'openWalkthrough';
export const ALL_COMMANDS_ACTION = 'allCommands';
/** The walkthrough's id in package.json's contributes.walkthroughs. */
export const WALKTHROUGH_ID = 'gettingStarted';

/** The first steps, in the order a new user takes them (the walkthrough explains each). */
export const START_COMMANDS = [
  COMMAND_IDS.launchRun,
  COMMAND_IDS.newRulesFile,
  COMMAND_IDS.testRules,
] as const;

/** Commands whose `commandPalette` menu entry says `"when": "false"`: internal, not for the page either. */
export function hiddenCommands(menus: unknown): Set<string> {
  const hidden = new Set<string>();
  const palette = (menus as { commandPalette?: unknown } | undefined)?.commandPalette;
  if (!Array.isArray(palette)) return hidden;
  for (const entry of palette as { command?: unknown; when?: unknown }[]) {
    if (typeof entry.command === 'string' && entry.when === 'false') hidden.add(entry.command);
  }
  return hidden;
}

/**
 * The start: the walkthrough, then each of `wanted` that the manifest contributes to the palette (with its
 * manifest title), in the order given.
 */
export function startActions(
  commands: readonly ContributedCommand[],
  hiddenFromPalette: ReadonlySet<string>,
  wanted: readonly string[],
  extensionId: string,
): WelcomeActionSpec[] {
  const actions: WelcomeActionSpec[] = [
    {
      id: OPEN_WALKTHROUGH_ACTION,
      title: 'Open the Getting Started Walkthrough',
      command: 'workbench.action.openWalkthrough',
      args: [`${extensionId}#${WALKTHROUGH_ID}`, false],
    },
  ];
  for (const id of wanted) {
    const contributed = commands.find((c) => c.command === id);
    if (!contributed || hiddenFromPalette.has(id)) continue;
    actions.push({ id, title: contributed.title, command: id, args: [] });
  }
  return actions;
}

/** Below the start: every command from the palette, and the extension's settings. */
export function moreActions(extensionId: string): WelcomeActionSpec[] {
  return [
    {
      id: ALL_COMMANDS_ACTION,
      title: 'All BNPO Commands…',
      command: 'workbench.action.quickOpen',
      args: ['>BNPO: '],
    },
    {
      id: OPEN_SETTINGS_ACTION,
      title: 'Settings',
      command: 'workbench.action.openSettings',
      args: [`@ext:${extensionId}`],
    },
  ];
}

/** What the page needs of a run folder to list it. */
export interface RecentRunFacts {
  id: string;
  label: string;
  status: RunStatus;
  step: number;
  totalSteps: number;
  /** ISO time, for the order. */
  createdAt: string;
}

export interface RecentRunSpec {
  id: string;
  label: string;
  status: RunStatus;
  detail: string;
  actions: WelcomeActionSpec[];
}

/** Runs listed on the page. */
export const RECENT_RUNS = 5;

function runAction(run: RecentRunFacts, command: string, title: string): WelcomeActionSpec {
  return { id: `${command}:${run.id}`, title, command, args: [run.id] };
}

/** The newest runs, each with the actions its status allows: Stop only while running, Resume only after a stop. */
export function recentRuns(runs: readonly RecentRunFacts[], limit = RECENT_RUNS): RecentRunSpec[] {
  return [...runs]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id))
    .slice(0, limit)
    .map((run) => {
      const actions = [runAction(run, COMMAND_IDS.openDashboard, 'Dashboard')];
      if (run.status === 'running') actions.push(runAction(run, COMMAND_IDS.stopRun, 'Stop'));
      if (run.status === 'stopped' || run.status === 'failed')
        actions.push(runAction(run, COMMAND_IDS.resumeRun, 'Resume'));
      return {
        id: run.id,
        label: run.label,
        status: run.status,
        detail: `${run.status} · step ${run.step} of ${run.totalSteps}`,
        actions,
      };
    });
}

/** The parts of the extension's package.json the page is built from. */
export interface WelcomeManifest {
  version?: string;
  contributes?: { commands?: ContributedCommand[]; menus?: unknown };
}

/** The start and more actions the page offers for this manifest, and the version it shows. */
export function manifestActions(
  manifest: WelcomeManifest,
  extensionId: string,
): { version: string; start: WelcomeActionSpec[]; more: WelcomeActionSpec[] } {
  const { commands = [], menus } = manifest.contributes ?? {};
  return {
    version: manifest.version ?? '',
    start: startActions(commands, hiddenCommands(menus), START_COMMANDS, extensionId),
    more: moreActions(extensionId),
  };
}
