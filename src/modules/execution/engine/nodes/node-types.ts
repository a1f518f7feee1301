import { createNodeTypeRegistry, type NodeTypeRegistry, type NodeTypeSpec } from '../../definition/flow-definition.js';
import { httpRequestExecutor } from './http-request.executor.js';
import type { NodeExecutor } from './node-executor.js';
import { branchExecutor, codeExecutor, loopExecutor, respondExecutor, transformExecutor } from './simple.executors.js';

/** A node type whole: its schema and graph behaviour (flows' NodeTypeSpec) and what runs it. */
export interface NodeTypeDefinition extends NodeTypeSpec {
  executor: NodeExecutor;
}

/** A registered type as the engine asks it: graph behaviour from the spec, behaviour from the executor. */
export interface RegisteredNodeType {
  spec: NodeTypeSpec;
  executor: NodeExecutor;
}

/** Executors of the built-in types, whose schemas the flows module declares (its validator runs without the engine). */
const BUILT_IN_EXECUTORS: Readonly<Record<string, NodeExecutor>> = {
  transform: transformExecutor,
  code: codeExecutor,
  'http.request': httpRequestExecutor,
  branch: branchExecutor,
  loop: loopExecutor,
  respond: respondExecutor,
};

/**
 * The one registration point for node types (plugins will use it): `register` takes the schema and the executor
 * together. It lives in execution because execution may import flows but flows may not import execution, and the
 * executor contract (sandbox, egress, rendering) is execution's; so it records the schema in the flows module's
 * registry (one per process, shared with the publish-time validator) and keeps the executor. The engine asks it
 * for a type's executor and graph behaviour instead of matching type names.
 */
export class NodeTypes {
  private readonly executors = new Map<string, NodeExecutor>();

  constructor(readonly schemas: NodeTypeRegistry = createNodeTypeRegistry()) {
    for (const spec of schemas.listNodeTypes()) {
      const executor = BUILT_IN_EXECUTORS[spec.type];
      if (!executor)
        throw new Error(
          `Node type "${spec.type}" has a schema but no executor; register it through NodeTypes.register`,
        );
      this.executors.set(spec.type, executor);
    }
  }

  /** Adds a node type: refused (nothing registered) for a malformed or taken name or inconsistent graph behaviour. */
  register(definition: NodeTypeDefinition): void {
    const { executor, ...spec } = definition;
    if (typeof executor?.execute !== 'function')
      throw new Error(`Node type "${spec.type}" needs an executor with execute()`);
    this.schemas.registerNodeType(spec);
    this.executors.set(spec.type, executor);
  }

  get(type: string): RegisteredNodeType | undefined {
    const spec = this.schemas.getNodeType(type);
    const executor = this.executors.get(type);
    return spec && executor ? { spec, executor } : undefined;
  }
}
