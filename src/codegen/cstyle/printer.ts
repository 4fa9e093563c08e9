/**
 * @file The statement printer every C-like target shares (C and JS today; CUDA and WGSL later).
 * It owns what is the same in all of them: blocks and indentation, `if`, `for`, `let` scoping,
 * the order of `assert` and its body, and naming through `safeIdent` so that no text from the
 * model ever reaches the source. A target subclasses it and fills in the hooks that differ:
 * expressions, declarations, loop headers, stores, allocations and assertion failures.
 *
 * Let-bound variables are declared in the enclosing block. TIR may bind the same variable twice
 * (an unrolled body copied out), so a second binding of one variable opens its own block.
 */

import type { Buffer, Expr, Var } from '../../ir/expr.js';
import { safeIdent } from '../../ir/names.js';
import type { Allocate, Assert, For, LetStmt, PrimFunc, Stmt, Store } from '../../tir/stmt.js';
import { CodegenError } from '../abi.js';

export abstract class CStylePrinter {
  private readonly out: string[] = [];
  private readonly localIds = new Map<number, number>();
  private depth: number;
  private readonly declared = new Set<number>();

  protected constructor(
    protected readonly target: string,
    protected readonly func: PrimFunc,
    indent = 1,
  ) {
    this.depth = indent;
  }

  /** The printed body of the function, one line per entry, indented. */
  protected printBody(): string[] {
    this.stmt(this.func.body);
    return this.out;
  }

  // --- hooks ----------------------------------------------------------------------------------

  /** An expression of any lane count, in the target language. */
  protected abstract expr(e: Expr): string;
  /** The declaration that binds `v` to `value` (one line, with its terminator). */
  protected abstract declare(v: Var, value: Expr): string;
  /** The lines that open a loop, ending with the `for (...)` header (without the brace). */
  protected abstract loopHead(s: For): string[];
  protected abstract store(s: Store): void;
  /** Declares the buffer, prints `s.body` (with `this.stmt`), and releases the buffer. */
  protected abstract allocate(s: Allocate): void;
  /** The statements that run when the condition of `s` is false. */
  protected abstract assertFail(s: Assert): string[];

  // --- shared ---------------------------------------------------------------------------------

  /**
   * Declarations are numbered in order of first use within the function, not by their global
   * ids, so the same kernel prints the same source in every process and the disk cache hits.
   */
  protected ident(x: Var | Buffer): string {
    let n = this.localIds.get(x.id);
    if (n === undefined) {
      n = this.localIds.size;
      this.localIds.set(x.id, n);
    }
    return safeIdent(x.name, n);
  }

  protected error(what: string): never {
    throw new CodegenError(this.target, this.func.name, what);
  }

  protected line(text: string): void {
    this.out.push(`${'  '.repeat(this.depth)}${text}`);
  }

  protected open(head: string): void {
    this.line(head === '' ? '{' : `${head} {`);
    this.depth++;
  }

  protected close(tail = '}'): void {
    this.depth--;
    this.line(tail);
  }

  /** A scalar expression, for places where vectors make no sense (conditions, loop bounds). */
  protected scalar(e: Expr, where: string): string {
    if (e.lanes !== 1) this.error(`${where} must be a scalar, got ${e.lanes} lanes`);
    return this.expr(e);
  }

  protected stmt(s: Stmt): void {
    switch (s.kind) {
      case 'for':
        return this.forLoop(s);
      case 'store':
        return this.store(s);
      case 'allocate':
        return this.allocate(s);
      case 'if':
        this.open(`if (${this.scalar(s.cond, 'if condition')})`);
        this.stmt(s.then);
        if (s.otherwise) {
          this.close('} else {');
          this.depth++;
          this.stmt(s.otherwise);
        }
        return this.close();
      case 'seq':
        return s.body.forEach((b) => this.stmt(b));
      case 'let':
        return this.letStmt(s);
      case 'assert':
        this.open(`if (!(${this.scalar(s.cond, 'assert condition')}))`);
        this.assertFail(s).forEach((l) => this.line(l));
        this.close();
        return this.stmt(s.body);
      case 'attr':
        return this.stmt(s.body);
      case 'noop':
        return;
    }
  }

  /** CPU loops; a GPU target overrides this to map thread-bound loops to thread indices. */
  protected forLoop(s: For): void {
    if (s.forKind === 'thread') this.error(`loop ${this.ident(s.loopVar)} is bound to ${s.threadTag ?? 'a thread'}; CPU targets have no GPU threads`);
    const head = this.loopHead(s);
    head.slice(0, -1).forEach((h) => this.line(h));
    this.open(head[head.length - 1]);
    this.stmt(s.body);
    this.close();
  }

  /** CPU targets have no block-shared memory. */
  protected refuseShared(s: Allocate): void {
    if (s.buffer.scope === 'shared') this.error(`buffer ${this.ident(s.buffer)}: 'shared' scope needs a GPU target`);
  }

  private letStmt(s: LetStmt): void {
    const again = this.declared.has(s.v.id);
    this.declared.add(s.v.id);
    if (again) this.open('');
    this.line(this.declare(s.v, s.value));
    this.stmt(s.body);
    if (again) this.close();
  }
}
