/** Things that keep the server not-ready (e.g. a plugin's missing table), each with a message naming it. */
export type ReadinessCheck = () => Promise<string[]>;

export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Problems by check name; empty when ready. A failing check is itself a problem (fail closed). */
  async problems(): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const [name, check] of this.checks) {
      try {
        const p = await check();
        if (p.length) out[name] = p;
      } catch (e) {
        out[name] = [e instanceof Error ? e.message : 'check failed'];
      }
    }
    return out;
  }
}
