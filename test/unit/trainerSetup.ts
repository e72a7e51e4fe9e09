// Unit tests run the trainer unbundled; tfjs-core registers its gradients only from its ES-module build, which plain
// Node cannot load. Bundle that one file with esbuild (a dev dependency) into CommonJS and load it once.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { threadId } from 'node:worker_threads';
import * as esbuild from 'esbuild';
import * as tf from '@tensorflow/tfjs-core';

export function registerGradientsForTests(): void {
  if (tf.getGradient('Abs') !== undefined) return;
  const out = path.join(os.tmpdir(), `bnpo-tfjs-gradients-${process.pid}-${threadId}.cjs`);
  esbuild.buildSync({
    entryPoints: [require.resolve('@tensorflow/tfjs-core/dist/register_all_gradients.js')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    outfile: out,
    logLevel: 'silent',
  });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(out);
  fs.rmSync(out, { force: true });
}
