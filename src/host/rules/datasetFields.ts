// Which sample fields a rule file may reference: those of the dataset named by `bnpo.rules.dataset` (its first
// lines), else the fields the built-in tasks provide.
import { open, stat } from 'node:fs/promises';
import type * as vscode from 'vscode';
import { datasetFieldsFromText } from '../../core/rules/samplesFile';
import { readConfig } from '../editorConfig';

/** What every built-in task's sample carries (countdown adds `solutions`, the accepted expressions). */
export const builtinSampleFields: readonly string[] = ['prompt', 'answer', 'solutions'];

export interface DatasetFields {
  fields: readonly string[];
  /** the dataset file, when the setting names one */
  file: string | undefined;
  /** why the configured dataset could not be read (then the built-in fields are used) */
  problem: string | undefined;
}

const headBytes = 64 * 1024;
const cache = new Map<string, { mtime: number; fields: string[] }>();

async function readHead(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(headBytes);
    const { bytesRead } = await handle.read(buffer, 0, headBytes, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

export async function datasetFieldsFor(uri: vscode.Uri): Promise<DatasetFields> {
  const config = readConfig(uri);
  const setting = config.rulesDatasetSetting;
  if (setting === '') return { fields: builtinSampleFields, file: undefined, problem: undefined };
  const file = config.rulesDataset;
  if (file === undefined) {
    return {
      fields: builtinSampleFields,
      file: undefined,
      problem: `bnpo.rules.dataset "${setting}" is relative but no folder is open`,
    };
  }
  try {
    const mtime = (await stat(file)).mtimeMs;
    const hit = cache.get(file);
    if (hit !== undefined && hit.mtime === mtime) return { fields: hit.fields, file, problem: undefined };
    const fields = datasetFieldsFromText(await readHead(file));
    if (fields.length === 0) throw new Error('its first lines hold no JSON objects');
    cache.set(file, { mtime, fields });
    return { fields, file, problem: undefined };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      fields: builtinSampleFields,
      file,
      problem: `cannot read bnpo.rules.dataset ${file}: ${reason}`,
    };
  }
}
