// Models in the local Hugging Face cache, found without VS Code: `$HF_HOME/hub` (or `$HF_HUB_CACHE`, or
// `~/.cache/huggingface/hub`) holds `models--org--name/snapshots/<revision>/`; a snapshot with a config.json is a
// model folder `bnpo train` can be pointed at. Also the one line that names a run's model (Runs view, dashboard).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ModelInfo } from '../../protocol/runDir';

export interface CachedModel {
  /** `org/name` as the hub spells it. */
  readonly id: string;
  readonly revision: string;
  /** The snapshot folder (absolute). */
  readonly dir: string;
}

/** Where the hub cache is for this environment. */
export function hfHubDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['HF_HUB_CACHE']) return env['HF_HUB_CACHE'];
  if (env['HF_HOME']) return path.join(env['HF_HOME'], 'hub');
  const cache = env['XDG_CACHE_HOME'] || path.join(os.homedir(), '.cache');
  return path.join(cache, 'huggingface', 'hub');
}

function subdirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() || e.isSymbolicLink())
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/** `org/name` for a cache entry `models--org--name`; undefined for anything else (datasets, spaces, locks). */
export function hubRepoId(entry: string): string | undefined {
  return entry.startsWith('models--') ? entry.slice('models--'.length).split('--').join('/') : undefined;
}

/** True when `dir` has a config.json (the first thing a model folder needs). */
export function isModelFolder(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'config.json'));
}

/**
 * Every model snapshot in the cache with a config.json, sorted by id; of several revisions of one model the one
 * `refs/main` names comes first, the rest by name.
 */
export function scanHfCache(hubDir: string): CachedModel[] {
  const found: CachedModel[] = [];
  for (const entry of subdirs(hubDir).sort()) {
    const id = hubRepoId(entry);
    if (id === undefined) continue;
    const repo = path.join(hubDir, entry);
    let main = '';
    try {
      main = fs.readFileSync(path.join(repo, 'refs', 'main'), 'utf8').trim();
    } catch {
      // no refs/main: every snapshot counts alike
    }
    const revisions = subdirs(path.join(repo, 'snapshots')).sort(
      (a, b) => Number(b === main) - Number(a === main) || a.localeCompare(b),
    );
    for (const revision of revisions) {
      const dir = path.join(repo, 'snapshots', revision);
      if (isModelFolder(dir)) found.push({ id, revision, dir });
    }
  }
  return found;
}

/** `1.2M`, `135M`, `7.6B`: a parameter count as model cards write it. */
export function compactCount(n: number): string {
  for (const [unit, size] of [
    ['B', 1e9],
    ['M', 1e6],
    ['k', 1e3],
  ] as const) {
    if (n >= size) return `${Number((n / size).toPrecision(n >= size * 100 ? 3 : 2))}${unit}`;
  }
  return `${n}`;
}

/** A run's model in one line: `SmolLM2-135M · llama · 135M parameters · LoRA r 8` (the built-in model: no name). */
export function modelSummary(info: ModelInfo): string {
  const parts = info.path === null ? [] : [modelName(info.path)];
  parts.push(info.architecture, `${compactCount(info.parameters)} parameters`);
  parts.push(info.lora ? `LoRA r ${info.lora.rank}` : 'every weight trained');
  return parts.join(' · ');
}

/** A model folder's short name: `org/name` for a hub cache snapshot, else the folder's own name. */
export function modelName(dir: string): string {
  const parts = path.resolve(dir).split(path.sep);
  const at = parts.lastIndexOf('snapshots');
  const id = at > 0 ? hubRepoId(parts[at - 1] ?? '') : undefined;
  return id ?? path.basename(path.resolve(dir));
}
