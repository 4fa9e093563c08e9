/**
 * @file The part of the WebAssembly JavaScript API that the wasm backend uses. The project's
 * `lib` is ES2022 without DOM, which declares no WebAssembly namespace; Node and browsers both
 * provide this API at run time. Delete this file if the project ever adds the DOM lib.
 */

export {};

declare global {
  namespace WebAssembly {
    type Source = ArrayBufferView | ArrayBuffer;
    type ImportKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

    interface MemoryDescriptor {
      initial: number;
      maximum?: number;
      shared?: boolean;
    }
    class Memory {
      constructor(descriptor: MemoryDescriptor);
      readonly buffer: ArrayBuffer | SharedArrayBuffer;
      grow(delta: number): number;
    }

    interface ModuleImportDescriptor {
      module: string;
      name: string;
      kind: ImportKind;
    }
    interface ModuleExportDescriptor {
      name: string;
      kind: ImportKind;
    }
    class Module {
      constructor(bytes: Source);
      static customSections(module: Module, name: string): ArrayBuffer[];
      static imports(module: Module): ModuleImportDescriptor[];
      static exports(module: Module): ModuleExportDescriptor[];
    }

    type ImportValue = ((...args: never[]) => unknown) | Memory | number;
    type Imports = Record<string, Record<string, ImportValue>>;
    class Instance {
      constructor(module: Module, imports?: Imports);
      readonly exports: Record<string, unknown>;
    }

    class CompileError extends Error {}
    class LinkError extends Error {}
    class RuntimeError extends Error {}

    function validate(bytes: Source): boolean;
    function compile(bytes: Source): Promise<Module>;
    function instantiate(module: Module, imports?: Imports): Promise<Instance>;
  }
}
