// A base for objects that own VS Code registrations: what they `_register` is disposed with them, once.
import type * as vscode from 'vscode';

export abstract class Disposable implements vscode.Disposable {
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  protected get isDisposed(): boolean {
    return this.disposed;
  }

  /** Takes ownership of `value`; registering on an already disposed object disposes it at once. */
  protected _register<T extends vscode.Disposable>(value: T): T {
    if (this.disposed) {
      value.dispose();
    } else {
      this.disposables.push(value);
    }
    return value;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Newest first: later registrations may depend on earlier ones.
    while (this.disposables.length > 0) this.disposables.pop()?.dispose();
  }
}
