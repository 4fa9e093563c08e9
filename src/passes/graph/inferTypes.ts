/**
 * @file `graph.inferTypes`: types every node output by its op's `infer`, reading the values of
 * constant inputs (Reshape's shape, Slice's starts). Dims that depend on run-time values stay
 * symbolic. A Fused node is typed by inferring its body with the node's input types.
 *
 * `specializeInputs` gives graph inputs concrete shapes (binding their symbols); the pass run
 * after it then re-infers every type with them, which is how a graph is specialized.
 *
 *   before:  %x: float32[N, 3] = input
 *            %y = Relu(%x)
 *   after:   %x: float32[N, 3] = input
 *            %y: float32[N, 3] = Relu(%x)
 *   specializeInputs({x: [2, 3]}), then the pass:
 *            %x: float32[2, 3] = input
 *            %y: float32[2, 3] = Relu(%x)
 */

import { graph as graphAttr } from '../../graph/attrs.js';
import { GraphBuilder, mapUses } from '../../graph/builder.js';
import type { Graph, Node, Value } from '../../graph/graph.js';
import { withType } from '../../graph/graph.js';
import type { HostTensor } from '../../graph/tensor.js';
import { quote } from '../../graph/text.js';
import type { Dim, TensorType } from '../../graph/types.js';
import { tensorType, typesEqual } from '../../graph/types.js';
import { inferNode } from '../../ops/index.js';
import { definePass } from '../pass.js';
import type { Pass } from '../pass.js';
import { constantsOf, opsetOf, retypeOutputs } from './common.js';
import { GraphPassError } from './errors.js';
import { fusedBody, isFused } from './fused.js';

const PASS = 'graph.inferTypes';

/** `g` with every node output typed from the types of the graph's inputs and its constants. */
export function inferGraph(g: Graph): Graph {
  const b = GraphBuilder.from(g);
  const constants = constantsOf(g);
  let changed = false;
  for (const n of g.nodes) {
    const inputs = n.inputs.map((v) => v && b.resolve(v));
    let copy: Node;
    if (isFused(n)) {
      const old = fusedBody(n);
      const body = inferBody(old, inputs);
      const attrs = body === old ? n.attrs : new Map([...n.attrs, ['body', graphAttr(body)]]);
      copy = b.copy(n, { inputs, outputs: retypeOutputs(n, body.outputs.map((v) => v.type!)), attrs });
    } else {
      const lookup = (i: number): HostTensor | null => constants.get(inputs[i]?.id ?? -1) ?? null;
      const types = inferNode(n, opsetOf(g, n, PASS), inputs.map((v) => v && v.type), lookup);
      copy = b.copy(n, { inputs, outputs: retypeOutputs(n, types) });
    }
    changed ||= copy !== n;
  }
  return changed ? b.build(g.outputs) : g;
}

/** A Fused node's body, typed for the node's (resolved) inputs. */
function inferBody(body: Graph, inputs: readonly (Value | null)[]): Graph {
  const retyped = new Map<number, Value>();
  body.inputs.forEach((v, k) => {
    const t = inputs[k]?.type ?? null;
    if (!typesEqual(v.type, t)) retyped.set(v.id, withType(v, t));
  });
  if (retyped.size === 0) return inferGraph(body);
  const fresh = mapUses({ ...body, inputs: body.inputs.map((v) => retyped.get(v.id) ?? v) }, (v) => retyped.get(v.id) ?? v);
  return inferGraph(fresh);
}

export const inferTypes: Pass<Graph> = definePass({ name: PASS, run: (g) => inferGraph(g) });

/** Binds symbols to concrete dims, failing when one symbol would get two values. */
class Bindings {
  private readonly dims = new Map<string, number>();

  bind(shape: readonly Dim[], given: readonly number[], where: string): void {
    if (shape.length !== given.length) throw new GraphPassError(PASS, where, `has rank ${shape.length}, the given shape [${given.join(', ')}] rank ${given.length}`);
    shape.forEach((d, k) => {
      const n = given[k];
      if (!Number.isSafeInteger(n) || n < 0) throw new GraphPassError(PASS, where, `given shape [${given.join(', ')}] has a bad dim ${n}`);
      const bound = typeof d === 'number' ? d : this.dims.get(d);
      if (bound !== undefined && bound !== n) {
        throw new GraphPassError(PASS, where, `dim ${k} is ${typeof d === 'number' ? d : `${quote(d)} = ${bound}`}, the given shape has ${n}`);
      }
      if (typeof d === 'string') this.dims.set(d, n);
    });
  }

  apply(t: TensorType): TensorType {
    return tensorType(t.dtype, t.shape.map((d) => (typeof d === 'number' ? d : (this.dims.get(d) ?? d))));
  }
}

/**
 * `g` with the inputs named in `shapes` given those concrete shapes, and every symbol they bind
 * replaced in the other inputs too. Run `inferTypes` afterwards to type the rest.
 */
export function specializeInputs(g: Graph, shapes: ReadonlyMap<string, readonly number[]>): Graph {
  const bindings = new Bindings();
  for (const [name, shape] of shapes) {
    const matches = g.inputs.filter((v) => v.name === name);
    const where = `graph input ${quote(name)}`;
    if (matches.length !== 1) throw new GraphPassError(PASS, where, matches.length === 0 ? 'does not exist' : 'is ambiguous: several inputs have this name');
    const t = matches[0].type;
    if (t === null) throw new GraphPassError(PASS, where, 'has no type to specialize');
    bindings.bind(t.shape, shape, where);
  }
  const retyped = new Map<number, Value>();
  for (const v of g.inputs) {
    if (v.type === null) continue;
    const t = bindings.apply(v.type);
    if (!typesEqual(t, v.type)) retyped.set(v.id, withType(v, t));
  }
  if (retyped.size === 0) return g;
  const inputs = g.inputs.map((v) => retyped.get(v.id) ?? v);
  return mapUses({ ...g, inputs }, (v) => retyped.get(v.id) ?? v);
}
