/**
 * A small cache whose entries live {@link ttlMs}; concurrent misses for one key share a single load.
 * Used for everything the auth hot path reads (credentials, custom roles, project roles), so a change reaches
 * every instance within the TTL even if its invalidation NOTIFY is lost.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, { value: V; at: number }>();
  private readonly loading = new Map<K, Promise<V>>();
  private generation = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  async get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.value;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const gen = this.generation;
    const startedAt = Date.now();
    const p = load().then(
      (value) => {
        this.loading.delete(key);
        // A load that raced an invalidation must not repopulate the cache with what it read before it.
        if (gen === this.generation) {
          if (this.entries.size >= this.maxEntries) this.entries.clear();
          this.entries.set(key, { value, at: startedAt });
        }
        return value;
      },
      (err: unknown) => {
        this.loading.delete(key);
        throw err;
      },
    );
    this.loading.set(key, p);
    return p;
  }

  peek(key: K): V | undefined {
    const hit = this.entries.get(key);
    return hit && Date.now() - hit.at < this.ttlMs ? hit.value : undefined;
  }

  delete(key: K): void {
    this.generation++;
    this.entries.delete(key);
    this.loading.delete(key);
  }

  deleteWhere(pred: (key: K, value: V) => boolean): void {
    this.generation++;
    for (const [k, e] of this.entries) if (pred(k, e.value)) this.entries.delete(k);
    this.loading.clear();
  }

  clear(): void {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }
}
