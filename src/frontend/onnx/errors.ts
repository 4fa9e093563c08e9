/**
 * @file The ONNX reader's error. Models are untrusted input, so every way a file can be wrong
 * ends in an `OnnxError` — never a crash inside the reader — whose `where` names the place (the
 * model, a node, a value, an initializer, an attribute) and whose `kind` tells a caller whether
 * the file is broken, valid but beyond what kiln supports, or unreadable from disk.
 */

export type OnnxErrorKind =
  /** not a valid ONNX model: bad protobuf, inconsistent sizes, undefined names */
  | 'malformed'
  /** valid ONNX that kiln does not handle: element types, sequence types, segments, … */
  | 'unsupported'
  /** a file that cannot be read: missing, or outside the model's directory */
  | 'io';

export class OnnxError extends Error {
  override name = 'OnnxError';
  constructor(
    readonly where: string,
    readonly detail: string,
    readonly kind: OnnxErrorKind = 'malformed',
  ) {
    super(`${where}: ${detail}`);
  }
}
