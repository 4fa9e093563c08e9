/**
 * @file The error type of lowering: a schedule that is legal step by step but cannot be turned
 * into loops as a whole (a stage computed inside a loop that one of its readers is outside of, an
 * output missing from the kernel's arguments, …). Messages start with `lower(<func>)`.
 */

export class LowerError extends Error {
  override name = 'LowerError';
}
