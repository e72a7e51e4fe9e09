// Models in the local Hugging Face cache, found without VS Code: `$HF_HOME/hub` (or `$HF_HUB_CACHE`, or
// `~/.cache/huggingface/hub`) holds `models--org--name/snapshots/<revision>/`; a snapshot with a config.json is a
// model folder `bnpo train` can be pointed at.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

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
