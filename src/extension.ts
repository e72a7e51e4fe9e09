// Activation registers stubs only (./host/lazy.ts): a command per id and a serializer per panel view type, then
// loads the features (dist/features.js, ./host/lazyFeatures.ts) on the next tick, so schemas, rules and runs code
// stay off the activation path.
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { COMMAND_IDS } from './host/commandIds';
import type { FeaturesModule } from './host/lazy';
import { LazyFeatures } from './host/lazy';
import { panelViewTypes } from './host/lazyViewTypes';

export function activate(context: vscode.ExtensionContext): void {
  // A separate bundle, required at run time (the bundler leaves a computed path alone).
  const bundle = path.join(__dirname, 'features.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const features = new LazyFeatures(context, () => require(bundle) as FeaturesModule);
  context.subscriptions.push(
    features,
    ...features.stubs(Object.values(COMMAND_IDS), panelViewTypes(context.extension.packageJSON)),
    features.loadSoon(),
  );
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code; supervised processes keep running.
}
