/**
 * @file kiln's public API: `InferenceSession` and `Tensor` (shaped like onnxruntime's),
 * `SavedSession` for compiled models saved by `InferenceSession.save`, the errors
 * a caller may catch, and the operator compiler's driver for building kernels by hand.
 */

export { InferenceSession, defaultTarget } from './session.js';
export type { Feeds, InputShapes, Outputs, SessionOptions, TensorLike } from './session.js';
export { SavedSession } from './saved.js';
export { SavedModelError } from '../runtime/saved/errors.js';
export { RelaxedSimdError } from '../codegen/wasm/errors.js';
export { Tensor } from './tensor.js';
export type { TensorData, TensorType } from './tensor.js';
export { SessionError } from '../runtime/errors.js';
export type { KernelTime } from '../runtime/executor.js';
export { OnnxError } from '../frontend/onnx/index.js';
export { OpError } from '../ops/index.js';
export { GraphPassError } from '../passes/graph/index.js';
export { Kernel, buildKernel, buildKernels } from '../codegen/build.js';
export type { KernelOptions, KernelSpec } from '../codegen/build.js';
