// What the run panels (dashboard, Beta fit, samples) add to the panel host: the studio as their surroundings, a
// "Loading…" placeholder, chart legends as data: images, and the followed runs' changes forwarded to the open panel
// once its page listens. A panel over one run (Beta fit, samples) also gets the run it shows, switched by show().
import type { RunChange, FollowedRun } from '../runs/runFollower';
import type { RunsEvent } from '../runs/runsModel';
import type { Studio } from '../runs/studio';
import { defaultRun } from '../runs/studio';
import { definePanel } from './definePanel';
import type { Panel, PanelContext, PanelController, PanelDefinition } from './definePanel';

export interface RunPanelController<Input, ToHost> extends PanelController<Input, ToHost> {
  /** What changed on disk, for any followed run; the panel sends what its page needs of it. */
  onRunsEvent(event: RunsEvent): void;
}

type RunPanelDefinition<
  Input,
  ToHost extends { type: string },
  ToPage,
  ViewState,
  Controller extends RunPanelController<Input, ToHost>,
> = Omit<PanelDefinition<Studio, Input, ToHost, ToPage, ViewState, Controller>, 'placeholder' | 'dataImages'>;

export function defineRunPanel<
  Input,
  ToHost extends { type: string },
  ToPage,
  ViewState,
  Controller extends RunPanelController<Input, ToHost>,
>(
  definition: RunPanelDefinition<Input, ToHost, ToPage, ViewState, Controller>,
): Panel<Studio, Input, Controller> {
  return definePanel({
    ...definition,
    placeholder: 'Loading…',
    dataImages: true,
    create: (studio: Studio, context: PanelContext<ToPage>, input: Input): Controller => {
      const controller = definition.create(studio, context, input);
      context.register(
        studio.model.onDidChange((event) => {
          if (context.isReady()) controller.onRunsEvent(event);
        }),
      );
      return controller;
    },
  });
}

/** How a one-run panel fills its page: everything of the run, and what a change on disk adds to it. */
export interface OneRunPage {
  sendAll(run: FollowedRun): void;
  sendChange(run: FollowedRun, change: RunChange): void;
}

/** The controller of a panel that shows one run: follows that run's changes; a reset or new run sends all. */
export function oneRunController<ToHost extends { type: string }, ToPage>(
  studio: Studio,
  context: PanelContext<ToPage>,
  runId: string,
  page: OneRunPage,
): RunPanelController<string, ToHost> & { shownRun(): FollowedRun | undefined } {
  let shown = runId;
  const sendAll = (): void => {
    const run = studio.model.get(shown);
    if (run) page.sendAll(run);
  };
  return {
    sendAll,
    shownRun: () => studio.model.get(shown),
    update: (id) => {
      shown = id;
      context.refresh();
    },
    onRunsEvent: (event) => {
      if (event.run.id !== shown) return;
      if (event.kind !== 'changed' || event.change.reset) sendAll();
      else page.sendChange(event.run, event.change);
    },
  };
}

/** The run a one-run panel shows after a reload: the saved one, else the run commands default to. */
export function restoredRunId(studio: Studio, state: { runId: string } | undefined): string {
  return state?.runId ?? defaultRun(studio.model.list())?.id ?? '';
}
