// Activation's stubs. dist/extension.js holds only this file and the ids it names; every feature (schemas, rules
// IntelliSense, the runs, the panels, verl) is in dist/features.js, which loads on the next tick after activation
// returns, or at once when a command or a panel restored after a reload needs it first. The stubs are what VS Code
// needs registered during activation: every command (so `onCommand` activation finds one) and a serializer per
// `onWebviewPanel:` view type; each forwards to the handler the feature registers with the Registrar.
import * as vscode from 'vscode';

/** Where features register what the stubs forward to: the same signatures as `vscode.commands` and `vscode.window`. */
export interface Registrar {
  registerCommand(id: string, handler: (...args: unknown[]) => unknown): vscode.Disposable;
  registerWebviewPanelSerializer(
    viewType: string,
    serializer: vscode.WebviewPanelSerializer,
  ): vscode.Disposable;
}

/** What dist/features.js exports (src/host/lazyFeatures.ts). */
export interface FeaturesModule {
  activateFeatures(context: vscode.ExtensionContext, registrar: Registrar): vscode.Disposable[];
}

function removeOnDispose<K, V>(map: Map<K, V>, key: K, value: V): vscode.Disposable {
  map.set(key, value);
  return { dispose: () => map.get(key) === value && map.delete(key) };
}

export class LazyFeatures implements vscode.Disposable, Registrar {
  private readonly commands = new Map<string, (...args: unknown[]) => unknown>();
  private readonly serializers = new Map<string, vscode.WebviewPanelSerializer>();
  private readonly owned: vscode.Disposable[] = [];
  private loading: Promise<void> | undefined;
  private disposed = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly loadModule: () => FeaturesModule,
  ) {}

  registerCommand(id: string, handler: (...args: unknown[]) => unknown): vscode.Disposable {
    return removeOnDispose(this.commands, id, handler);
  }

  registerWebviewPanelSerializer(
    viewType: string,
    serializer: vscode.WebviewPanelSerializer,
  ): vscode.Disposable {
    return removeOnDispose(this.serializers, viewType, serializer);
  }

  /** Loads and activates the features once; later calls share the first. */
  load(): Promise<void> {
    this.loading ??= Promise.resolve().then(() => {
      if (this.disposed) throw new Error('the extension is shutting down');
      this.owned.push(...this.loadModule().activateFeatures(this.context, this));
    });
    return this.loading;
  }

  /** Loads on the next tick, after activation has returned; a failure is shown once. */
  loadSoon(): vscode.Disposable {
    const timer = setTimeout(() => {
      this.load().catch((err: unknown) => {
        void vscode.window.showErrorMessage(`BNPO Studio did not start: ${String(err)}`);
        console.error(err);
      });
    }, 0);
    return { dispose: () => clearTimeout(timer) };
  }

  /** One stub per command id and per panel view type, each forwarding to what the features register. */
  stubs(commandIds: readonly string[], viewTypes: readonly string[]): vscode.Disposable[] {
    const commands = commandIds.map((id) =>
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        await this.load();
        const handler = this.commands.get(id);
        if (handler === undefined) throw new Error(`BNPO: no feature handles ${id}`);
        return handler(...args);
      }),
    );
    const serializers = viewTypes.map((viewType) =>
      vscode.window.registerWebviewPanelSerializer(viewType, {
        deserializeWebviewPanel: async (panel, state: unknown) => {
          await this.load();
          // A view type no feature restores (an older version's) is left as VS Code shows it.
          await this.serializers.get(viewType)?.deserializeWebviewPanel(panel, state);
        },
      }),
    );
    return [...commands, ...serializers];
  }

  dispose(): void {
    this.disposed = true;
    vscode.Disposable.from(...this.owned).dispose();
    this.owned.length = 0;
  }
}
