/**
 * @file WebAssembly opcode tables, keyed by the instruction names of the text format so that code
 * reads like the spec (`c.op('f32.add')`) and a typo is a compile error, not a bad module.
 * Instructions are grouped by their immediates: none, memory argument, lane index; and by prefix:
 * none, 0xFC (saturating truncation, bulk memory), 0xFD (SIMD128 and relaxed SIMD), 0xFE (atomics).
 */

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';

export const VALTYPE_CODE: Readonly<Record<ValType, number>> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };

export const PREFIX_MISC = 0xfc;
export const PREFIX_SIMD = 0xfd;
export const PREFIX_ATOMIC = 0xfe;

/** One-byte instructions without immediates. */
export const OP = {
  unreachable: 0x00, nop: 0x01, return: 0x0f, drop: 0x1a, select: 0x1b,
  'i32.eqz': 0x45, 'i32.eq': 0x46, 'i32.ne': 0x47, 'i32.lt_s': 0x48, 'i32.lt_u': 0x49, 'i32.gt_s': 0x4a,
  'i32.gt_u': 0x4b, 'i32.le_s': 0x4c, 'i32.le_u': 0x4d, 'i32.ge_s': 0x4e, 'i32.ge_u': 0x4f,
  'i64.eqz': 0x50, 'i64.eq': 0x51, 'i64.ne': 0x52, 'i64.lt_s': 0x53, 'i64.lt_u': 0x54, 'i64.gt_s': 0x55,
  'i64.gt_u': 0x56, 'i64.le_s': 0x57, 'i64.le_u': 0x58, 'i64.ge_s': 0x59, 'i64.ge_u': 0x5a,
  'f32.eq': 0x5b, 'f32.ne': 0x5c, 'f32.lt': 0x5d, 'f32.gt': 0x5e, 'f32.le': 0x5f, 'f32.ge': 0x60,
  'f64.eq': 0x61, 'f64.ne': 0x62, 'f64.lt': 0x63, 'f64.gt': 0x64, 'f64.le': 0x65, 'f64.ge': 0x66,
  'i32.clz': 0x67, 'i32.ctz': 0x68, 'i32.popcnt': 0x69, 'i32.add': 0x6a, 'i32.sub': 0x6b, 'i32.mul': 0x6c,
  'i32.div_s': 0x6d, 'i32.div_u': 0x6e, 'i32.rem_s': 0x6f, 'i32.rem_u': 0x70, 'i32.and': 0x71, 'i32.or': 0x72,
  'i32.xor': 0x73, 'i32.shl': 0x74, 'i32.shr_s': 0x75, 'i32.shr_u': 0x76, 'i32.rotl': 0x77, 'i32.rotr': 0x78,
  'i64.clz': 0x79, 'i64.ctz': 0x7a, 'i64.popcnt': 0x7b, 'i64.add': 0x7c, 'i64.sub': 0x7d, 'i64.mul': 0x7e,
  'i64.div_s': 0x7f, 'i64.div_u': 0x80, 'i64.rem_s': 0x81, 'i64.rem_u': 0x82, 'i64.and': 0x83, 'i64.or': 0x84,
  'i64.xor': 0x85, 'i64.shl': 0x86, 'i64.shr_s': 0x87, 'i64.shr_u': 0x88, 'i64.rotl': 0x89, 'i64.rotr': 0x8a,
  'f32.abs': 0x8b, 'f32.neg': 0x8c, 'f32.ceil': 0x8d, 'f32.floor': 0x8e, 'f32.trunc': 0x8f, 'f32.nearest': 0x90,
  'f32.sqrt': 0x91, 'f32.add': 0x92, 'f32.sub': 0x93, 'f32.mul': 0x94, 'f32.div': 0x95, 'f32.min': 0x96,
  'f32.max': 0x97, 'f32.copysign': 0x98,
  'f64.abs': 0x99, 'f64.neg': 0x9a, 'f64.ceil': 0x9b, 'f64.floor': 0x9c, 'f64.trunc': 0x9d, 'f64.nearest': 0x9e,
  'f64.sqrt': 0x9f, 'f64.add': 0xa0, 'f64.sub': 0xa1, 'f64.mul': 0xa2, 'f64.div': 0xa3, 'f64.min': 0xa4,
  'f64.max': 0xa5, 'f64.copysign': 0xa6,
  'i32.wrap_i64': 0xa7, 'i32.trunc_f32_s': 0xa8, 'i32.trunc_f32_u': 0xa9, 'i32.trunc_f64_s': 0xaa,
  'i32.trunc_f64_u': 0xab, 'i64.extend_i32_s': 0xac, 'i64.extend_i32_u': 0xad, 'i64.trunc_f32_s': 0xae,
  'i64.trunc_f32_u': 0xaf, 'i64.trunc_f64_s': 0xb0, 'i64.trunc_f64_u': 0xb1, 'f32.convert_i32_s': 0xb2,
  'f32.convert_i32_u': 0xb3, 'f32.convert_i64_s': 0xb4, 'f32.convert_i64_u': 0xb5, 'f32.demote_f64': 0xb6,
  'f64.convert_i32_s': 0xb7, 'f64.convert_i32_u': 0xb8, 'f64.convert_i64_s': 0xb9, 'f64.convert_i64_u': 0xba,
  'f64.promote_f32': 0xbb, 'i32.reinterpret_f32': 0xbc, 'i64.reinterpret_f64': 0xbd, 'f32.reinterpret_i32': 0xbe,
  'f64.reinterpret_i64': 0xbf,
  'i32.extend8_s': 0xc0, 'i32.extend16_s': 0xc1, 'i64.extend8_s': 0xc2, 'i64.extend16_s': 0xc3, 'i64.extend32_s': 0xc4,
} as const;
export type Op = keyof typeof OP;

/** Loads and stores: opcode and natural alignment (log2 of the access size). */
export const MEM_OP = {
  'i32.load': [0x28, 2], 'i64.load': [0x29, 3], 'f32.load': [0x2a, 2], 'f64.load': [0x2b, 3],
  'i32.load8_s': [0x2c, 0], 'i32.load8_u': [0x2d, 0], 'i32.load16_s': [0x2e, 1], 'i32.load16_u': [0x2f, 1],
  'i64.load8_s': [0x30, 0], 'i64.load8_u': [0x31, 0], 'i64.load16_s': [0x32, 1], 'i64.load16_u': [0x33, 1],
  'i64.load32_s': [0x34, 2], 'i64.load32_u': [0x35, 2],
  'i32.store': [0x36, 2], 'i64.store': [0x37, 3], 'f32.store': [0x38, 2], 'f64.store': [0x39, 3],
  'i32.store8': [0x3a, 0], 'i32.store16': [0x3b, 1], 'i64.store8': [0x3c, 0], 'i64.store16': [0x3d, 1],
  'i64.store32': [0x3e, 2],
} as const;
export type MemOp = keyof typeof MEM_OP;

/** 0xFC-prefixed instructions without immediates: non-trapping float-to-int conversions. */
export const SAT_OP = {
  'i32.trunc_sat_f32_s': 0, 'i32.trunc_sat_f32_u': 1, 'i32.trunc_sat_f64_s': 2, 'i32.trunc_sat_f64_u': 3,
  'i64.trunc_sat_f32_s': 4, 'i64.trunc_sat_f32_u': 5, 'i64.trunc_sat_f64_s': 6, 'i64.trunc_sat_f64_u': 7,
} as const;
export type SatOp = keyof typeof SAT_OP;

/** 0xFD-prefixed SIMD instructions without immediates. */
export const SIMD_OP = {
  'i8x16.swizzle': 0x0e, 'i8x16.splat': 0x0f, 'i16x8.splat': 0x10, 'i32x4.splat': 0x11, 'i64x2.splat': 0x12,
  'f32x4.splat': 0x13, 'f64x2.splat': 0x14,
  'i8x16.eq': 0x23, 'i8x16.ne': 0x24, 'i8x16.lt_s': 0x25, 'i8x16.lt_u': 0x26, 'i8x16.gt_s': 0x27, 'i8x16.gt_u': 0x28,
  'i8x16.le_s': 0x29, 'i8x16.le_u': 0x2a, 'i8x16.ge_s': 0x2b, 'i8x16.ge_u': 0x2c,
  'i32x4.eq': 0x37, 'i32x4.ne': 0x38, 'i32x4.lt_s': 0x39, 'i32x4.lt_u': 0x3a, 'i32x4.gt_s': 0x3b,
  'i32x4.gt_u': 0x3c, 'i32x4.le_s': 0x3d, 'i32x4.le_u': 0x3e, 'i32x4.ge_s': 0x3f, 'i32x4.ge_u': 0x40,
  'f32x4.eq': 0x41, 'f32x4.ne': 0x42, 'f32x4.lt': 0x43, 'f32x4.gt': 0x44, 'f32x4.le': 0x45, 'f32x4.ge': 0x46,
  'f64x2.eq': 0x47, 'f64x2.ne': 0x48, 'f64x2.lt': 0x49, 'f64x2.gt': 0x4a, 'f64x2.le': 0x4b, 'f64x2.ge': 0x4c,
  'v128.not': 0x4d, 'v128.and': 0x4e, 'v128.andnot': 0x4f, 'v128.or': 0x50, 'v128.xor': 0x51,
  'v128.bitselect': 0x52, 'v128.any_true': 0x53,
  'f32x4.demote_f64x2_zero': 0x5e, 'f64x2.promote_low_f32x4': 0x5f,
  'i8x16.abs': 0x60, 'i8x16.neg': 0x61, 'i8x16.all_true': 0x63, 'i8x16.bitmask': 0x64,
  'i8x16.narrow_i16x8_s': 0x65, 'i8x16.narrow_i16x8_u': 0x66,
  'f32x4.ceil': 0x67, 'f32x4.floor': 0x68, 'f32x4.trunc': 0x69, 'f32x4.nearest': 0x6a,
  'i8x16.shl': 0x6b, 'i8x16.shr_s': 0x6c, 'i8x16.shr_u': 0x6d, 'i8x16.add': 0x6e, 'i8x16.sub': 0x71,
  'f64x2.ceil': 0x74, 'f64x2.floor': 0x75, 'f64x2.trunc': 0x7a, 'f64x2.nearest': 0x94,
  'i16x8.narrow_i32x4_s': 0x85, 'i16x8.narrow_i32x4_u': 0x86,
  'i16x8.extend_low_i8x16_s': 0x87, 'i16x8.extend_high_i8x16_s': 0x88,
  'i16x8.extend_low_i8x16_u': 0x89, 'i16x8.extend_high_i8x16_u': 0x8a,
  'i16x8.add': 0x8e, 'i16x8.sub': 0x91, 'i16x8.mul': 0x95,
  'i32x4.abs': 0xa0, 'i32x4.neg': 0xa1, 'i32x4.all_true': 0xa3, 'i32x4.bitmask': 0xa4,
  'i32x4.extend_low_i16x8_s': 0xa7, 'i32x4.extend_high_i16x8_s': 0xa8,
  'i32x4.extend_low_i16x8_u': 0xa9, 'i32x4.extend_high_i16x8_u': 0xaa,
  'i32x4.shl': 0xab, 'i32x4.shr_s': 0xac, 'i32x4.shr_u': 0xad, 'i32x4.add': 0xae, 'i32x4.sub': 0xb1,
  'i32x4.mul': 0xb5, 'i32x4.min_s': 0xb6, 'i32x4.min_u': 0xb7, 'i32x4.max_s': 0xb8, 'i32x4.max_u': 0xb9,
  'i32x4.dot_i16x8_s': 0xba,
  'i64x2.abs': 0xc0, 'i64x2.neg': 0xc1, 'i64x2.extend_low_i32x4_s': 0xc7, 'i64x2.extend_high_i32x4_s': 0xc8,
  'i64x2.shl': 0xcb, 'i64x2.shr_s': 0xcc, 'i64x2.shr_u': 0xcd, 'i64x2.add': 0xce, 'i64x2.sub': 0xd1,
  'i64x2.mul': 0xd5, 'i64x2.eq': 0xd6, 'i64x2.ne': 0xd7, 'i64x2.lt_s': 0xd8, 'i64x2.gt_s': 0xd9,
  'i64x2.le_s': 0xda, 'i64x2.ge_s': 0xdb,
  'f32x4.abs': 0xe0, 'f32x4.neg': 0xe1, 'f32x4.sqrt': 0xe3, 'f32x4.add': 0xe4, 'f32x4.sub': 0xe5,
  'f32x4.mul': 0xe6, 'f32x4.div': 0xe7, 'f32x4.min': 0xe8, 'f32x4.max': 0xe9, 'f32x4.pmin': 0xea, 'f32x4.pmax': 0xeb,
  'f64x2.abs': 0xec, 'f64x2.neg': 0xed, 'f64x2.sqrt': 0xef, 'f64x2.add': 0xf0, 'f64x2.sub': 0xf1,
  'f64x2.mul': 0xf2, 'f64x2.div': 0xf3, 'f64x2.min': 0xf4, 'f64x2.max': 0xf5,
  'i32x4.trunc_sat_f32x4_s': 0xf8, 'i32x4.trunc_sat_f32x4_u': 0xf9,
  'f32x4.convert_i32x4_s': 0xfa, 'f32x4.convert_i32x4_u': 0xfb,
  'i32x4.trunc_sat_f64x2_s_zero': 0xfc, 'i32x4.trunc_sat_f64x2_u_zero': 0xfd,
  'f64x2.convert_low_i32x4_s': 0xfe, 'f64x2.convert_low_i32x4_u': 0xff,
} as const;
export type SimdOp = keyof typeof SIMD_OP;

/**
 * Relaxed SIMD (0xFD prefix too). Results may differ between engines (fused or unfused
 * multiply-add), so the builder emits them only when a module opts in.
 */
export const RELAXED_OP = {
  'f32x4.relaxed_madd': 0x105, 'f32x4.relaxed_nmadd': 0x106, 'f64x2.relaxed_madd': 0x107, 'f64x2.relaxed_nmadd': 0x108,
  'f32x4.relaxed_min': 0x10d, 'f32x4.relaxed_max': 0x10e,
} as const;
export type RelaxedOp = keyof typeof RELAXED_OP;

/** SIMD loads and stores with a memory argument: opcode and natural alignment. */
export const SIMD_MEM_OP = {
  'v128.load': [0x00, 4], 'v128.load32_splat': [0x09, 2], 'v128.load64_splat': [0x0a, 3],
  'v128.store': [0x0b, 4], 'v128.load32_zero': [0x5c, 2], 'v128.load64_zero': [0x5d, 3],
} as const;
export type SimdMemOp = keyof typeof SIMD_MEM_OP;

/** SIMD lane accessors: opcode and number of lanes (the lane immediate must be below it). */
export const LANE_OP = {
  'i8x16.extract_lane_s': [0x15, 16], 'i8x16.extract_lane_u': [0x16, 16], 'i8x16.replace_lane': [0x17, 16],
  'i16x8.extract_lane_s': [0x18, 8], 'i16x8.extract_lane_u': [0x19, 8], 'i16x8.replace_lane': [0x1a, 8],
  'i32x4.extract_lane': [0x1b, 4], 'i32x4.replace_lane': [0x1c, 4],
  'i64x2.extract_lane': [0x1d, 2], 'i64x2.replace_lane': [0x1e, 2],
  'f32x4.extract_lane': [0x1f, 4], 'f32x4.replace_lane': [0x20, 4],
  'f64x2.extract_lane': [0x21, 2], 'f64x2.replace_lane': [0x22, 2],
} as const;
export type LaneOp = keyof typeof LANE_OP;

export const SIMD_CONST = 0x0c;
export const SIMD_SHUFFLE = 0x0d;

/** Atomic memory instructions (0xFE prefix): opcode and the alignment they require. */
export const ATOMIC_OP = {
  'memory.atomic.notify': [0x00, 2], 'memory.atomic.wait32': [0x01, 2], 'memory.atomic.wait64': [0x02, 3],
  'i32.atomic.load': [0x10, 2], 'i64.atomic.load': [0x11, 3], 'i32.atomic.store': [0x17, 2],
  'i64.atomic.store': [0x18, 3], 'i32.atomic.rmw.add': [0x1e, 2], 'i64.atomic.rmw.add': [0x1f, 3],
  'i32.atomic.rmw.sub': [0x25, 2], 'i32.atomic.rmw.and': [0x2c, 2], 'i32.atomic.rmw.or': [0x33, 2],
  'i32.atomic.rmw.xchg': [0x41, 2], 'i32.atomic.rmw.cmpxchg': [0x48, 2],
} as const;
export type AtomicOp = keyof typeof ATOMIC_OP;
export const ATOMIC_FENCE = 0x03;

export const CONTROL = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, br_table: 0x0e,
  call: 0x10, call_indirect: 0x11,
  'local.get': 0x20, 'local.set': 0x21, 'local.tee': 0x22, 'global.get': 0x23, 'global.set': 0x24,
  'memory.size': 0x3f, 'memory.grow': 0x40,
  'i32.const': 0x41, 'i64.const': 0x42, 'f32.const': 0x43, 'f64.const': 0x44,
} as const;

/** 0xFC-prefixed bulk memory instructions. */
export const BULK = { 'memory.init': 8, 'data.drop': 9, 'memory.copy': 10, 'memory.fill': 11 } as const;
