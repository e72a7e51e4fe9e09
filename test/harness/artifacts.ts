// Artifacts are how a failed or timed-out run is read afterwards: screenshots and the editor's own logs,
// collected under test-artifacts/ (ignored by git, uploaded by CI when it keeps artifacts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { artifactsRoot } from './paths';

export function artifactDir(...parts: string[]): string {
  const dir = path.join(artifactsRoot, ...parts);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A file-name-safe form of a test or screenshot name. */
export function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);
}

/** Saves a full-page screenshot; returns its path, or undefined when the page can no longer be captured. */
export async function saveScreenshot(page: Page, dir: string, name: string): Promise<string | undefined> {
  const file = path.join(dir, `${slug(name)}.png`);
  try {
    await page.screenshot({ path: file, timeout: 10_000 });
    return file;
  } catch (err) {
    console.error(`[harness] screenshot ${file} failed: ${String(err)}`);
    return undefined;
  }
}

/**
 * Copies the editor's logs (server, remote extension host, window) from a profile's user-data folder.
 * The remote extension host's log is the one that says why an extension did not activate or a test hung.
 */
export function saveEditorLogs(userDataDir: string, dir: string): string | undefined {
  const logs = path.join(userDataDir, 'logs');
  if (!fs.existsSync(logs)) return undefined;
  const target = path.join(dir, 'logs');
  fs.cpSync(logs, target, { recursive: true });
  return target;
}
