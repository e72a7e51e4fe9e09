// Runs mocha (BDD UI) over every *.test.js under a folder, so a suite is added by adding a file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import type { TierResult } from './tierResult';

export function findTestFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.test.js'))
    .map((name) => path.join(dir, name))
    .sort();
}

export function runMocha(dir: string, options: Mocha.MochaOptions): Promise<TierResult> {
  const mocha = new Mocha({ ui: 'bdd', reporter: 'spec', ...options });
  const files = findTestFiles(dir);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${dir}`));
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run(() => {
        const stats = runner.stats;
        resolve({
          passed: stats?.passes ?? 0,
          failed: stats?.failures ?? 0,
          skipped: stats?.pending ?? 0,
        });
      });
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}
