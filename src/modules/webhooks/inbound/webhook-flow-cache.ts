import type { WebhookFlowInfo } from '../../execution/index.js';

const TTL_MS = 5000;
const MISS_TTL_MS = 1000;
const MAX_ENTRIES = 50_000;

/**
 * The published definition per flow for `/hooks/:flowId`, so the hot path needs no query. Entries are dropped by
 * NOTIFY when a flow is published, rolled back, enabled, disabled or deleted (any instance), and expire after a
 * few seconds as a backstop. Unknown ids are remembered briefly, so floods of random ids cost little.
 */
export class WebhookFlowCache {
  private readonly entries = new Map<string, { flow: WebhookFlowInfo | null; at: number }>();
  private readonly loading = new Map<string, Promise<WebhookFlowInfo | null>>();
  /** Bumped by `forget`: a load that started before a change must not put its stale result back. */
  private generation = 0;

  constructor(private readonly load: (flowId: string) => Promise<WebhookFlowInfo | null>) {}

  forget(flowId: string): void {
    this.generation += 1;
    this.entries.delete(flowId);
    this.loading.delete(flowId);
  }

  async get(flowId: string): Promise<WebhookFlowInfo | null> {
    const hit = this.entries.get(flowId);
    if (hit && Date.now() - hit.at < (hit.flow ? TTL_MS : MISS_TTL_MS)) return hit.flow;
    let pending = this.loading.get(flowId);
    if (!pending) {
      // One query per flow however many requests arrive while it is loading.
      const started = this.generation;
      pending = this.load(flowId);
      this.loading.set(flowId, pending);
      const flow = await pending.finally(() => {
        if (this.loading.get(flowId) === pending) this.loading.delete(flowId);
      });
      if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
      if (started === this.generation) this.entries.set(flowId, { flow, at: Date.now() });
      return flow;
    }
    return pending;
  }
}
