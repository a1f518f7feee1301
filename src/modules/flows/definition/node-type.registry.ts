import type { DefinitionIssue, JsonObject } from './definition.types.js';
import type { FormatChecker, ObjectSchema } from './param-schema.js';

/**
 * One node type's schema and graph behaviour. Built-in schemas live in `built-in-node-types.ts`. A new type registers
 * its schema and its executor together through the execution module's `NodeTypes.register`, which records the schema
 * here (execution may import flows, not the reverse, and the executor contract is execution's).
 */
export interface NodeTypeSpec {
  /** Dotted lower-case name, e.g. `http.request`; plugins prefix their own (`acme.crm.lookup`). */
  type: string;
  title: string;
  description: string;
  params: ObjectSchema;
  /**
   * Named output handles. Absent: one unnamed output (edges carry no `handle`). A function derives them from the
   * node's params (branch: the conditions' handles and the default).
   */
  outputs?: readonly string[] | ((params: JsonObject) => string[]);
  /** Edges into this node may close a cycle (the loop node's body returning to it). Requires `bodyOutput`. */
  closesCycles?: boolean;
  /**
   * The output whose edges lead into a body the engine runs once per item of this node's output (the loop's
   * `each`); the node's other outputs continue after it with the collected results. One of the static `outputs`.
   */
  bodyOutput?: string;
  /** Publish-time checks beyond the schema; `path` is the node's params path (`$.nodes[3].params`). */
  validate?: (params: JsonObject, path: string) => DefinitionIssue[];
  /** Who registered it (`core` or a plugin name). */
  source?: string;
}

/** One trigger type and the schema of its `settings`. */
export interface TriggerTypeSpec {
  type: string;
  title: string;
  description: string;
  settings: ObjectSchema;
  validate?: (settings: JsonObject, path: string) => DefinitionIssue[];
  source?: string;
}

const TYPE_NAME_RE = /^[a-z][a-z0-9]*(?:[._-][a-z0-9]+)*$/;

/**
 * The data-driven catalogue of node and trigger types: the publish-time validator reads it, and the engine reads
 * node types' graph behaviour (`outputs`, `bodyOutput`) through execution's `NodeTypes`, which also holds their
 * executors. Registration is refused for malformed or duplicate names, so a plugin cannot replace a built-in type.
 */
export class NodeTypeRegistry {
  private readonly nodeTypes = new Map<string, NodeTypeSpec>();
  private readonly triggerTypes = new Map<string, TriggerTypeSpec>();
  private readonly formatCheckers: Record<string, FormatChecker> = {};

  /** The schema half of a node type; use execution's `NodeTypes.register` to add a type that can also run. */
  registerNodeType(spec: NodeTypeSpec): void {
    this.assertName(spec.type, this.nodeTypes.has(spec.type), 'node');
    const staticOutputs = Array.isArray(spec.outputs) ? (spec.outputs as readonly string[]) : [];
    if (spec.bodyOutput !== undefined && !staticOutputs.includes(spec.bodyOutput)) {
      throw new Error(`Node type "${spec.type}": bodyOutput must be one of its static outputs`);
    }
    // The engine runs a cycle only as a body returning to its node, so a type closing cycles needs a body.
    if (spec.closesCycles && spec.bodyOutput === undefined)
      throw new Error(`Node type "${spec.type}": closesCycles needs a bodyOutput`);
    this.nodeTypes.set(spec.type, Object.freeze({ source: 'core', ...spec }));
  }

  registerTriggerType(spec: TriggerTypeSpec): void {
    this.assertName(spec.type, this.triggerTypes.has(spec.type), 'trigger');
    this.triggerTypes.set(spec.type, Object.freeze({ source: 'core', ...spec }));
  }

  /** Adds a publish-time string format (`format: 'cron'` in a schema). Existing formats are not replaced. */
  registerFormat(name: string, checker: FormatChecker): void {
    if (this.formatCheckers[name]) throw new Error(`Format "${name}" is already registered`);
    this.formatCheckers[name] = checker;
  }

  getNodeType(type: string): NodeTypeSpec | undefined {
    return this.nodeTypes.get(type);
  }

  getTriggerType(type: string): TriggerTypeSpec | undefined {
    return this.triggerTypes.get(type);
  }

  listNodeTypes(): NodeTypeSpec[] {
    return [...this.nodeTypes.values()];
  }

  listTriggerTypes(): TriggerTypeSpec[] {
    return [...this.triggerTypes.values()];
  }

  formats(): Readonly<Record<string, FormatChecker>> {
    return this.formatCheckers;
  }

  /** The output handles a node of this type offers with these params; `null` = one unnamed output. */
  outputHandles(type: string, params: JsonObject): string[] | null {
    const outputs = this.nodeTypes.get(type)?.outputs;
    if (!outputs) return null;
    return typeof outputs === 'function' ? outputs(params) : [...outputs];
  }

  private assertName(name: string, taken: boolean, what: string): void {
    if (!TYPE_NAME_RE.test(name)) throw new Error(`Invalid ${what} type name "${name}"`);
    if (taken) throw new Error(`The ${what} type "${name}" is already registered`);
  }
}
