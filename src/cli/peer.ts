/**
 * @file onnxruntime-node as the reference `kiln compare` measures against. It is loaded only
 * when needed (it is a development dependency), with the same thread count kiln gets, and its
 * outputs come back as kiln Tensors. `wrapOrtSession` also serves onnxruntime-web sessions (the
 * benchmark suite's second peer): both packages share onnxruntime-common's session API.
 */

import { Tensor } from '../api/tensor.js';
import { isDType } from '../graph/tensor.js';
import { quote } from '../graph/text.js';
import { UsageError } from './usage.js';

type Ort = typeof import('onnxruntime-node');
type OrtSession = Awaited<ReturnType<Ort['InferenceSession']['create']>>;

export interface Peer {
  /** `fetches`: tensors to write outputs into (onnxruntime's preallocated outputs) */
  run(feeds: Readonly<Record<string, Tensor>>, fetches?: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

async function loadOrt(): Promise<Ort> {
  try {
    return await import('onnxruntime-node');
  } catch {
    throw new UsageError('kiln compare needs onnxruntime-node: npm install onnxruntime-node');
  }
}

export async function createPeer(model: string | Uint8Array, threads: number): Promise<Peer> {
  const ort = await loadOrt();
  const options = { intraOpNumThreads: threads, interOpNumThreads: 1 };
  const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
  return wrapOrtSession(ort, session);
}

/** kiln Tensors as onnxruntime's, by name (own keys, so a name like `__proto__` stays a name). */
function ortTensors(ort: Pick<Ort, 'Tensor'>, tensors: Readonly<Record<string, Tensor>>): Record<string, InstanceType<Ort['Tensor']>> {
  const out: Record<string, InstanceType<Ort['Tensor']>> = {};
  for (const [name, t] of Object.entries(tensors)) {
    Object.defineProperty(out, name, { value: new ort.Tensor(t.type, t.data, [...t.dims]), enumerable: true });
  }
  return out;
}

/** A Peer over an onnxruntime session: kiln Tensors in, kiln Tensors out. */
export function wrapOrtSession(ort: Pick<Ort, 'Tensor'>, session: OrtSession): Peer {
  return {
    async run(feeds, fetches) {
      const out = fetches ? await session.run(ortTensors(ort, feeds), ortTensors(ort, fetches)) : await session.run(ortTensors(ort, feeds));
      const result: Record<string, Tensor> = {};
      for (const name of session.outputNames) {
        const t = Object.getOwnPropertyDescriptor(out, name)?.value as InstanceType<Ort['Tensor']> | undefined;
        if (t === undefined || !isDType(t.type)) throw new Error(`onnxruntime output ${quote(name)} is missing or of a type kiln does not compare`);
        Object.defineProperty(result, name, { value: new Tensor(t.type, t.data as Tensor['data'], t.dims), enumerable: true });
      }
      return result;
    },
    release: () => session.release(),
  };
}
