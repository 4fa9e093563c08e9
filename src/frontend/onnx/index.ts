/**
 * @file The ONNX frontend: `readOnnx` (model → Graph) and `readTensorProto` (a serialized
 * TensorProto → HostTensor, for test data), both failing with `OnnxError`.
 */

export { readOnnx } from './read.js';
export type { ReadOptions } from './read.js';
export { readTensorProto } from './tensor.js';
export { OnnxError } from './errors.js';
export type { OnnxErrorKind } from './errors.js';
