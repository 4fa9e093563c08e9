/**
 * @file The browser entry: loading and running saved wasm models, and nothing of the compiler.
 * It is bundled into one ESM file (`npm run build:browser`, esbuild) that a page imports:
 *
 *   import { SavedSession, Tensor } from './kiln-browser.js';
 *   const session = await SavedSession.load('model.kiln');
 *   const out = await session.run({ x: new Tensor('float32', data, [1, 3, 48, 192]) });
 *
 * Models saved with threads need a cross-origin isolated page (COOP/COEP headers) for their
 * shared memory; `threads: 1` runs them on the page's thread alone.
 */

export { SavedSession } from './saved.js';
export type { Feeds, Outputs, TensorLike } from './feeds.js';
export { Tensor } from './tensor.js';
export type { TensorData, TensorType } from './tensor.js';
export { SessionError } from '../runtime/errors.js';
export { SavedModelError } from '../runtime/saved/errors.js';
export { RelaxedSimdError, WasmRuntimeError } from '../codegen/wasm/errors.js';
export { KernelArgError, KernelAssertError } from '../codegen/abi.js';
