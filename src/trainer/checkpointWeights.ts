// A checkpoint's weights into a policy's parameters: the names and sizes must be the ones the policy trains (a
// checkpoint of adapters cannot fill a full model, nor one of another LoRA rank), and the files their checksums say.
import * as tf from '@tensorflow/tfjs-core';
import { type CheckpointData, readCheckpoint, readCheckpointMeta } from '../runDir/checkpoints';
import { RunDirError } from '../runDir/errors';

/** Reads checkpoint `dir` into `params` (in place); returns what it read, optimizer moments included. */
export function loadCheckpointWeights(params: ReadonlyMap<string, tf.Variable>, dir: string): CheckpointData {
  const names = [...params.keys()];
  const held = readCheckpointMeta(dir).weights.map((w) => w.name);
  if (held.join('\n') !== names.join('\n')) {
    throw new RunDirError(
      `${dir}: holds ${held.length} tensors (${held[0] ?? 'none'}, …) where the model trains ${names.length} (${names[0] ?? 'none'}, …)`,
    );
  }
  const vars = [...params.values()];
  const data = readCheckpoint(
    dir,
    vars.map((p) => p.size),
  );
  tf.tidy(() => vars.forEach((p, i) => p.assign(tf.tensor(data.weights[i]!, p.shape))));
  return data;
}
