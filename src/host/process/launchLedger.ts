// What the supervisor wrote down about each process it started: which run folder it serves and its identity
// (host, pid, start time). Kept in the workspace's extension storage, so after a window reload Stop can still
// prove that a run's trainer is the process started here, and refuse every other.
import * as path from 'node:path';
import { z } from 'zod';
import type { ProcessIdentity } from './processIdentity';

/** The slice of vscode.Memento the ledger needs (workspaceState in the editor, a Map in tests). */
export interface LedgerStore {
  get(key: string): unknown;
  update(key: string, value: unknown): Thenable<void>;
}

const LEDGER_KEY = 'bnpo.launchLedger';
/** Enough for every run one workspace plausibly starts between two reloads; the oldest go first. */
const MAX_ENTRIES = 200;

/** A launch record, as stored by this extension and read back by it (validated: storage can be edited or old). */
const LedgerEntrySchema = z.object({
  runDir: z.string(),
  pid: z.number().int().positive(),
  host: z.string(),
  startTime: z.string(),
  /** The process leads its own group, so a stop goes to the group (Ray workers, data loaders) too. */
  group: z.boolean(),
  /** The launch's stop policy: SIGKILL this long after SIGTERM. */
  stopTimeoutMs: z.number().int().nonnegative().optional(),
});
export type LedgerEntry = z.infer<typeof LedgerEntrySchema>;

export class LaunchLedger {
  private entries: LedgerEntry[];

  constructor(private readonly store: LedgerStore) {
    const parsed = z.array(LedgerEntrySchema).safeParse(store.get(LEDGER_KEY) ?? []);
    this.entries = parsed.success ? parsed.data : [];
  }

  /** Records that the process `identity` serves `runDir` (replacing what an earlier launch there recorded). */
  record(
    runDir: string,
    identity: ProcessIdentity,
    policy: { readonly group: boolean; readonly stopTimeoutMs: number },
  ): void {
    const key = path.resolve(runDir);
    this.entries = this.entries.filter((e) => path.resolve(e.runDir) !== key);
    this.entries.push({ runDir: key, ...identity, ...policy });
    if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
    this.save();
  }

  /** The newest launch recorded for `runDir`. */
  lookup(runDir: string): LedgerEntry | undefined {
    const key = path.resolve(runDir);
    return this.entries.find((e) => path.resolve(e.runDir) === key);
  }

  private save(): void {
    void this.store.update(LEDGER_KEY, this.entries);
  }
}

/** A store that lives only as long as the object (tests, or no workspace storage). */
export class MemoryStore implements LedgerStore {
  private readonly values = new Map<string, unknown>();

  get(key: string): unknown {
    return this.values.get(key);
  }

  update(key: string, value: unknown): Thenable<void> {
    this.values.set(key, value);
    return Promise.resolve();
  }
}
