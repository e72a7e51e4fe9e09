// Choosing the TensorFlow.js backend. `auto` tries, best first: tensorflow (libtensorflow through the optional
// @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node), webgpu (Dawn's node bindings, hardware adapters only: a
// software renderer is slower than wasm), wasm (SIMD), cpu. Every skipped candidate is recorded with its reason.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// A named import: a bare one is dropped by the bundler (the package marks its node entry side-effect free).
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendInfo } from '../protocol/runDir';
import type { BackendName } from '../protocol/runConfig';

type Concrete = BackendInfo['name'];
type Attempt = { ok: true; detail: string } | { ok: false; reason: string };

/**
 * tfjs-core's package entry registers no gradients; its ES-module `register_all_gradients` does. The bundle (dist/)
 * takes it in through this require; plain Node cannot load that ES-module build, so unbundled callers (unit tests)
 * register the gradients themselves first, and this only checks.
 */
function registerGradients(): void {
  if (tf.getGradient('Abs') !== undefined) return;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-core/dist/register_all_gradients');
  } catch {
    // checked below
  }
  if (tf.getGradient('Abs') === undefined) throw new Error('tfjs gradients are not registered');
}

const SOFTWARE_RENDERERS = /llvmpipe|lavapipe|swiftshader|softpipe|software|basic render/i;

function message(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}

async function tryTensorflow(): Promise<Attempt> {
  const req = createRequire(__filename);
  const reasons: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      req(pkg);
      if (await tf.setBackend('tensorflow')) return { ok: true, detail: `libtensorflow via ${pkg}` };
      reasons.push(`${pkg} loaded but the backend did not initialise`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      reasons.push(code === 'MODULE_NOT_FOUND' ? `${pkg} is not installed` : `${pkg}: ${message(err)}`);
    }
  }
  return { ok: false, reason: reasons.join('; ') };
}

interface GpuAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  readonly isFallbackAdapter?: boolean;
}
interface WebGpuModule {
  create(options: string[]): { requestAdapter(): Promise<GpuAdapterLike | null> };
  globals: Record<string, unknown>;
}

/** Linux without a Vulkan loader has no GPU for Dawn; checking first spares the user Dawn's warning on stderr. */
function vulkanLoaderMissing(): boolean {
  if (process.platform !== 'linux') return false;
  const r = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' });
  if (r.status !== 0 || typeof r.stdout !== 'string') return false;
  return !r.stdout.includes('libvulkan.so.1');
}

async function tryWebgpu(): Promise<Attempt> {
  if (vulkanLoaderMissing())
    return { ok: false, reason: 'no Vulkan loader (libvulkan.so.1), so no GPU adapter' };
  let mod: WebGpuModule;
  try {
    // An ES module: a real dynamic import (tsc's node16 mode and esbuild both keep `import()` for it).
    mod = (await import('webgpu')) as unknown as WebGpuModule;
  } catch (err) {
    return { ok: false, reason: `the webgpu package did not load (${message(err)})` };
  }
  const gpu = mod.create([]);
  const adapter = await gpu.requestAdapter();
  if (adapter === null) return { ok: false, reason: 'no GPU adapter (no Vulkan driver)' };
  const info = adapter.info ?? {};
  const name =
    [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(' ') || 'unknown';
  if (adapter.isFallbackAdapter === true || SOFTWARE_RENDERERS.test(name)) {
    return { ok: false, reason: `only a software renderer (${name}), slower than wasm` };
  }
  // The webgpu backend registers itself only when navigator.gpu exists at import time.
  Object.assign(globalThis, mod.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await import('@tensorflow/tfjs-backend-webgpu');
    if (await tf.setBackend('webgpu')) {
      const limits = (
        tf.backend() as unknown as { device?: { limits?: { maxStorageBuffersPerShaderStage?: number } } }
      ).device?.limits;
      chunkAddN('webgpu', (limits?.maxStorageBuffersPerShaderStage ?? 8) - 1);
      return { ok: true, detail: `adapter ${name}` };
    }
    return { ok: false, reason: `setBackend('webgpu') failed on ${name}` };
  } catch (err) {
    return { ok: false, reason: `webgpu backend failed on ${name}: ${message(err)}` };
  }
}

/**
 * tfjs-webgpu's AddN binds all its inputs in one shader, and a gradient summed over more inputs than the device's
 * storage-buffer limit (8 per stage by default) gives an invalid pipeline: the sum silently drops out of the update.
 * This wraps the backend's AddN so it sums at most `maxInputs` tensors per call, in rounds. Returns the undo.
 */
export function chunkAddN(backendName: string, maxInputs: number): () => void {
  const original = tf.getKernel('AddN', backendName);
  if (original === undefined) return () => undefined;
  const width = Math.max(2, Math.floor(maxInputs));
  const kernelFunc: tf.KernelFunc = (args) => {
    let inputs = args.inputs as unknown as tf.TensorInfo[];
    const partial: tf.TensorInfo[] = [];
    while (inputs.length > width) {
      const next: tf.TensorInfo[] = [];
      for (let i = 0; i < inputs.length; i += width) {
        const chunk = inputs.slice(i, i + width);
        if (chunk.length === 1) {
          next.push(chunk[0] as tf.TensorInfo);
          continue;
        }
        const sum = original.kernelFunc({ ...args, inputs: chunk as unknown as tf.NamedTensorInfoMap });
        partial.push(sum as tf.TensorInfo);
        next.push(sum as tf.TensorInfo);
      }
      inputs = next;
    }
    const result = original.kernelFunc({ ...args, inputs: inputs as unknown as tf.NamedTensorInfoMap });
    for (const t of partial) (args.backend as tf.KernelBackend).disposeData(t.dataId);
    return result;
  };
  tf.unregisterKernel('AddN', backendName);
  tf.registerKernel({ kernelName: 'AddN', backendName, kernelFunc });
  return () => {
    tf.unregisterKernel('AddN', backendName);
    tf.registerKernel(original);
  };
}

/** The folder holding the wasm binaries: next to the bundle (dist/), else the package's own dist. */
export function wasmDir(): string | null {
  const candidates = [__dirname, path.join(__dirname, '..')];
  try {
    candidates.push(path.dirname(createRequire(__filename).resolve('@tensorflow/tfjs-backend-wasm')));
  } catch {
    // not resolvable from here (a bundle shipped without node_modules): the bundle folder is the only place
  }
  return candidates.find((d) => fs.existsSync(path.join(d, 'tfjs-backend-wasm-simd.wasm'))) ?? null;
}

async function tryWasm(): Promise<Attempt> {
  const dir = wasmDir();
  if (dir === null) return { ok: false, reason: 'tfjs-backend-wasm*.wasm not found next to the trainer' };
  try {
    setWasmPaths(dir + path.sep);
    if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'the wasm backend did not initialise' };
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    return {
      ok: true,
      detail: `${simd === true ? 'SIMD' : 'no SIMD'}, one thread (Node), binaries in ${dir}`,
    };
  } catch (err) {
    return { ok: false, reason: `wasm failed: ${message(err)}` };
  }
}

async function tryCpu(): Promise<Attempt> {
  return (await tf.setBackend('cpu'))
    ? { ok: true, detail: `plain JavaScript (tfjs-backend-cpu ${version_cpu})` }
    : { ok: false, reason: 'cpu failed' };
}

const ATTEMPTS: Record<Concrete, () => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};
const AUTO_ORDER: Concrete[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

/** Sets the tfjs backend. A named backend that fails is an error; `auto` falls through to the next. */
export async function selectBackend(requested: BackendName): Promise<BackendInfo> {
  registerGradients();
  const order = requested === 'auto' ? AUTO_ORDER : [requested];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of order) {
    const attempt = await ATTEMPTS[name]();
    if (attempt.ok) {
      await tf.ready();
      return { requested, name, detail: attempt.detail, skipped };
    }
    skipped.push({ name, reason: attempt.reason });
  }
  throw new Error(`no backend available: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

export function describeBackend(info: BackendInfo): string {
  const skipped = info.skipped.map((s) => `${s.name} skipped (${s.reason})`);
  return [`backend ${info.name} (${info.detail})`, ...skipped].join('; ');
}
