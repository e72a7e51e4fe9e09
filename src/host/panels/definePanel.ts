// The one panel host. A panel is declared once (view type, bundle, protocol, what it does) and gets from here what
// every webview panel needs: the page shell with its nonce CSP (webviewHtml), local resources only, messages from
// the page validated with the protocol's schemas on arrival, the "ready" handshake (the page asks; the panel then
// sends everything, also after the page was hidden and rebuilt), posts typed by the protocol and held back until the
// page listens, one instance per view type, a serializer that brings the panel back after a reload from the
// view state the page saved, and recovery: when a rebuilt frame (panel moved to another group, or shown again)
// says no "ready" in time, its HTML is set again (readyWatch.ts).
import * as vscode from 'vscode';
import type { z } from 'zod';
import { Disposable } from '../disposable';
import { webviewHtml } from '../webviewHtml';
import type { WebviewPage } from '../webviewHtml';
import { ReadyWatch } from './readyWatch';

/** What a panel's host needs of its surroundings: where the extension's files are, and where to log. */
export interface PanelEnv {
  readonly extensionUri: vscode.Uri;
  readonly log: { warn(message: string): void };
}

/** The messages of one panel, as its protocol module declares them. */
export interface PanelProtocol<ToHost extends { type: string }, ViewState> {
  /** Webview → host; `ready` is one of them. */
  readonly toHost: z.ZodType<ToHost>;
  /** What the page persists with setState; the serializer reads it back. */
  readonly viewState: z.ZodType<ViewState>;
}

/** What the panel host gives a panel's controller. */
export interface PanelContext<ToPage> {
  readonly panel: vscode.WebviewPanel;
  /** Sends to the page once it listens; before `ready` the page would drop it, so nothing is sent. */
  post(message: ToPage): void;
  /** Sends everything again when the page listens; otherwise its `ready` will ask. */
  refresh(): void;
  /** The page has said `ready` (run panels forward file changes only then). */
  isReady(): boolean;
  /** Disposed with the panel. */
  register(disposable: vscode.Disposable): void;
}

/** One open panel's behaviour. */
export interface PanelController<Input, ToHost> {
  /** Sends everything the page shows (after `ready`, and on refresh). */
  sendAll(): void;
  /** Messages other than `ready`. */
  onMessage?(message: ToHost): void;
  /** The panel was asked to show something else while open (e.g. another run). */
  update?(input: Input): void;
}

export interface PanelDefinition<
  Env extends PanelEnv,
  Input,
  ToHost extends { type: string },
  ToPage,
  ViewState,
  Controller extends PanelController<Input, ToHost> = PanelController<Input, ToHost>,
> {
  readonly viewType: string;
  readonly title: string;
  /** dist/webview/<bundle>.js and media/<bundle>.css */
  readonly bundle: string;
  /** media/icons/<icon> */
  readonly icon?: string;
  /** Text shown until the page's script draws. */
  readonly placeholder?: string;
  /** The page draws images as data: URLs (chart legends). */
  readonly dataImages?: boolean;
  readonly protocol: PanelProtocol<ToHost, ViewState>;
  /** The column the panel opens or is revealed in (default: the active one). */
  readonly column?: () => vscode.ViewColumn | undefined;
  /** What a panel revived after a reload shows: from its saved view state, undefined when there is none. */
  restore(env: Env, state: ViewState | undefined): Input;
  create(env: Env, context: PanelContext<ToPage>, input: Input): Controller;
}

/** A declared panel: show it, bring it back after a reload, reach the open one. */
export interface Panel<Env extends PanelEnv, Input, Controller> {
  readonly viewType: string;
  /** Reveals the open panel with `input`, or opens one. */
  show(env: Env, input: Input): Controller;
  revive(env: Env, panel: vscode.WebviewPanel, state: unknown): void;
  /** The open panel's controller, if one is open. */
  readonly current: Controller | undefined;
  serializer(env: () => Env | Promise<Env>): vscode.WebviewPanelSerializer;
}

export function localResourceRoots(root: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(root, 'dist', 'webview'), vscode.Uri.joinPath(root, 'media')];
}

class OpenPanel<
  Input,
  ToHost extends { type: string },
  ToPage,
  Controller extends PanelController<Input, ToHost>,
> extends Disposable {
  ready = false;
  /** Set right after construction: the controller is created with this panel's context. */
  controller!: Controller;
  private readonly watch: ReadyWatch;
  private shownIn: { visible: boolean; column: vscode.ViewColumn | undefined };

  constructor(
    readonly panel: vscode.WebviewPanel,
    private readonly env: PanelEnv,
    private readonly definition: {
      viewType: string;
      protocol: { toHost: z.ZodType<ToHost> };
    },
    private readonly page: Omit<WebviewPage, 'webview'>,
    onDispose: () => void,
  ) {
    super();
    this.shownIn = { visible: panel.visible, column: panel.viewColumn };
    this.watch = new ReadyWatch({
      reload: (attempt) => {
        this.env.log.warn(
          `[${this.definition.viewType}] the page did not say "ready" in time; loading it again (try ${attempt})`,
        );
        this.setHtml();
      },
      gaveUp: (attempts) => {
        this.env.log.warn(`[${this.definition.viewType}] the page did not load after ${attempts} reloads`);
        void vscode.window
          .showWarningMessage(`${this.page.title} did not load.`, 'Load Again')
          .then((choice) => {
            if (choice !== undefined && !this.isDisposed) this.load();
          });
      },
    });
    this._register(this.watch);
    this._register(panel.onDidDispose(() => this.dispose()));
    this._register(panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw)));
    this._register(panel.onDidChangeViewState(() => this.viewStateChanged()));
    this._register({ dispose: onDispose });
  }

  /** Loads the page and waits for its "ready". */
  load(): void {
    this.setHtml();
    this.watch.loading();
  }

  /** Sets the page's HTML (a fresh nonce each time, so the webview really loads it again). */
  private setHtml(): void {
    this.panel.webview.html = webviewHtml({ webview: this.panel.webview, ...this.page });
  }

  /**
   * VS Code rebuilds a webview that is not retained when hidden each time it is shown again or moved to another
   * group; the new frame loads the page again, and its "ready" is due. (It comes after this event: both travel
   * the one channel from the workbench, and the frame is built after the view state changed.)
   */
  private viewStateChanged(): void {
    const { visible, viewColumn: column } = this.panel;
    const before = this.shownIn;
    this.shownIn = { visible, column };
    if (!visible || (before.visible && before.column === column)) return;
    this.watch.loading();
  }

  override dispose(): void {
    if (this.isDisposed) return;
    super.dispose();
    this.panel.dispose();
  }

  context(): PanelContext<ToPage> {
    return {
      panel: this.panel,
      post: (message) => {
        if (this.ready) void this.panel.webview.postMessage(message);
      },
      refresh: () => {
        if (this.ready) this.controller.sendAll();
      },
      isReady: () => this.ready,
      register: (disposable) => {
        this._register(disposable);
      },
    };
  }

  private receive(raw: unknown): void {
    const parsed = this.definition.protocol.toHost.safeParse(raw);
    if (!parsed.success) {
      this.env.log.warn(
        `[${this.definition.viewType}] ignored a malformed message from the page: ${parsed.error.message}`,
      );
      return;
    }
    if (parsed.data.type === 'ready') {
      this.ready = true;
      this.watch.ready();
      this.controller.sendAll();
      return;
    }
    this.controller.onMessage?.(parsed.data);
  }
}

export function definePanel<
  Env extends PanelEnv,
  Input,
  ToHost extends { type: string },
  ToPage,
  ViewState,
  Controller extends PanelController<Input, ToHost>,
>(
  definition: PanelDefinition<Env, Input, ToHost, ToPage, ViewState, Controller>,
): Panel<Env, Input, Controller> {
  let open: OpenPanel<Input, ToHost, ToPage, Controller> | undefined;

  const attach = (env: Env, panel: vscode.WebviewPanel, input: Input): Controller => {
    open?.dispose();
    const root = env.extensionUri;
    if (definition.icon !== undefined)
      panel.iconPath = vscode.Uri.joinPath(root, 'media', 'icons', definition.icon);
    // A revived panel keeps the options it was saved with; set them again so they always match this version.
    panel.webview.options = { enableScripts: true, localResourceRoots: localResourceRoots(root) };
    const page = {
      extensionUri: root,
      bundle: definition.bundle,
      title: definition.title,
      ...(definition.placeholder !== undefined ? { placeholder: definition.placeholder } : {}),
      ...(definition.dataImages !== undefined ? { dataImages: definition.dataImages } : {}),
    };
    const opened: OpenPanel<Input, ToHost, ToPage, Controller> = new OpenPanel(
      panel,
      env,
      definition,
      page,
      () => {
        if (open === opened) open = undefined;
      },
    );
    const controller = definition.create(env, opened.context(), input);
    opened.controller = controller;
    open = opened;
    opened.load();
    return controller;
  };

  const revive = (env: Env, panel: vscode.WebviewPanel, state: unknown): void => {
    const parsed = definition.protocol.viewState.safeParse(state);
    attach(env, panel, definition.restore(env, parsed.success ? parsed.data : undefined));
  };

  return {
    viewType: definition.viewType,
    show(env, input) {
      if (open) {
        const controller = open.controller;
        controller.update?.(input);
        open.panel.reveal(definition.column?.(), false);
        return controller;
      }
      const panel = vscode.window.createWebviewPanel(
        definition.viewType,
        definition.title,
        definition.column?.() ?? vscode.ViewColumn.Active,
        { enableScripts: true, localResourceRoots: localResourceRoots(env.extensionUri) },
      );
      return attach(env, panel, input);
    },
    revive,
    get current() {
      return open?.controller;
    },
    serializer: (env) => ({
      deserializeWebviewPanel: async (panel, state: unknown) => revive(await env(), panel, state),
    }),
  };
}
