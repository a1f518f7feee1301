/**
 * The stored shape of a flow definition (schema version 1, API.md "Flow definition (version 1)").
 * Parameters are plain JSON; a parameter that is exactly one `{{ }}` expression keeps its JSON type at run time.
 */
export const CURRENT_SCHEMA_VERSION = 1;

/** The reserved id edges use to start from the trigger. Node ids may not take it. */
export const TRIGGER_NODE_ID = 'trigger';

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type TriggerType = 'webhook' | 'schedule' | 'manual' | (string & {});

export interface TriggerDefinition {
  type: TriggerType;
  /** Checked against the trigger type's settings schema (see the registry). */
  settings?: JsonObject;
}

export interface NodePosition {
  x: number;
  y: number;
}

export interface NodeRetry {
  /** Attempts including the first one (1 = no retry). */
  maxAttempts: number;
  delayMs?: number;
}

export interface NodeDefinition {
  /** Unique in the flow; `[A-Za-z_][A-Za-z0-9_-]{0,63}`; expressions address it as `nodes.<id>.output`. */
  id: string;
  type: string;
  /** Display name. */
  name?: string;
  params?: JsonObject;
  /** Editor layout only; no effect on runs. */
  position?: NodePosition;
  /** A disabled node passes its input through unchanged. */
  disabled?: boolean;
  /** `fail` (default) ends the run on a node error; `continue` records the error and goes on. */
  onError?: 'fail' | 'continue';
  retry?: NodeRetry;
}

export interface EdgeDefinition {
  /** A node id or `trigger`. */
  from: string;
  to: string;
  /** Output handle of `from` (branch: a condition's handle or the default; loop: `each` | `done`). */
  handle?: string;
}

export interface FlowDefinitionV1 {
  schemaVersion: 1;
  trigger: TriggerDefinition;
  nodes: NodeDefinition[];
  edges: EdgeDefinition[];
}

/** The definition shape of the current schema version. */
export type FlowDefinition = FlowDefinitionV1;

/** Webhook trigger settings, typed for the execution and webhook modules (validated by the registry schema). */
export type WebhookAuth =
  | { mode: 'none' }
  | { mode: 'header'; name: string; value: string }
  | { mode: 'basic'; username: string; password: string }
  | {
      mode: 'hmac';
      secret: string;
      /** Header carrying the signature (default `x-signature`). */
      signatureHeader?: string;
      /** Header carrying the Unix timestamp (seconds) that is signed together with the raw body. */
      timestampHeader?: string;
      algorithm?: 'sha256' | 'sha512';
      encoding?: 'hex' | 'base64';
      /** Literal prefix before the signature value, e.g. `sha256=`. */
      signaturePrefix?: string;
      /** Accepted clock skew in seconds (default 300). */
      toleranceSeconds?: number;
    };

export interface WebhookHandshake {
  /** Where the provider puts the challenge: a query parameter (GET) or a JSON body field. */
  source: 'query' | 'body';
  /** Name of the challenge parameter, e.g. `hub.challenge` or `challenge`. */
  challengeField: string;
  /** Optional verify token check: the field carrying it and the expected value (may be a secret reference). */
  verifyTokenField?: string;
  verifyToken?: string;
}

export interface WebhookSettings {
  auth: WebhookAuth;
  respond: 'wait' | 'accepted';
  /** Accepted HTTP methods (default POST). */
  methods?: ('GET' | 'POST' | 'PUT')[];
  /** How long `respond: wait` waits for the run (ms). */
  waitTimeoutMs?: number;
  handshake?: WebhookHandshake;
  /** Per-flow rate limit: at most `requests` every `perSeconds`. */
  rateLimit?: { requests: number; perSeconds: number };
}

export interface ScheduleSettings {
  cron: string;
  /** IANA time zone (default UTC). */
  timezone?: string;
  /**
   * Fire times missed while no scheduler ran: `skip` (default) resumes at the next time; `catchUp` fires the missed
   * ones at start, oldest first, within a bounded window (docs/execution.md "Schedules").
   */
  missed?: 'skip' | 'catchUp';
}

/** A problem in a definition: a JSON path rooted at the definition (`$.nodes[2].params.url`) and a message. */
export interface DefinitionIssue {
  path: string;
  message: string;
}
