/**
 * The parts of the flow definition (schemaVersion 1, API.md "Flow definition (version 1)") the engine consumes.
 * Kept in this one file so that switching to the flows module's exported types is a one-file change.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export type WebhookAuthMode = 'none' | 'header' | 'basic' | 'hmac';

export interface WebhookAuthSettings {
  mode: WebhookAuthMode;
  /** header: the header to compare (default `x-webhook-token`) and the expected value (may be a secret reference). */
  headerName?: string;
  value?: string;
  /** basic: expected credentials (the password may be a secret reference). */
  username?: string;
  password?: string;
  /** hmac: shared secret (may be a secret reference), provider preset and overrides. */
  secret?: string;
  preset?: 'generic' | 'github' | 'stripe';
  algorithm?: 'sha256' | 'sha512' | 'sha1';
  signatureHeader?: string;
  timestampHeader?: string;
  toleranceSeconds?: number;
}

export interface WebhookHandshakeSettings {
  /** `slack`: JSON `{type: "url_verification", challenge}`; `meta`: `hub.*` query; `echo`: echo a query parameter. */
  mode: 'slack' | 'meta' | 'echo';
  verifyToken?: string;
  param?: string;
}

export interface WebhookTriggerSettings {
  auth?: WebhookAuthSettings;
  respond?: 'wait' | 'accepted';
  methods?: ('GET' | 'POST' | 'PUT')[];
  maxBodyBytes?: number;
  handshake?: WebhookHandshakeSettings;
  /** How long a waiting caller is held before 504 `run_still_running`. */
  waitTimeoutMs?: number;
}

export interface ScheduleTriggerSettings {
  cron: string;
  timezone?: string;
}

export type TriggerDefinition =
  | { type: 'webhook'; settings?: WebhookTriggerSettings }
  | { type: 'schedule'; settings: ScheduleTriggerSettings }
  | { type: 'manual'; settings?: Record<string, unknown> };

export interface NodeRetrySettings {
  /** Total attempts including the first (1 = no retry). */
  maxAttempts?: number;
  /** Delay before the second attempt; later delays grow by `factor`, capped by `maxDelayMs`. */
  delayMs?: number;
  factor?: number;
  maxDelayMs?: number;
}

export interface NodeDefinition {
  id: string;
  type: string;
  name?: string;
  params?: Record<string, unknown>;
  /** Engine settings every node type accepts. */
  retry?: NodeRetrySettings;
  timeoutMs?: number;
  disabled?: boolean;
}

export interface EdgeDefinition {
  from: string;
  to: string;
  /** Branch outcome (`branch`) or loop port (`each` / `done`) the edge leaves from. */
  handle?: string;
}

export interface FlowDefinition {
  schemaVersion: 1;
  trigger: TriggerDefinition;
  nodes: NodeDefinition[];
  edges: EdgeDefinition[];
}

/** The id edges use for the trigger. */
export const TRIGGER_ID = 'trigger';
