/** Per-org run limit overrides, set by the platform operator only. */
export interface OrgLimits {
  maxConcurrent?: number;
  maxSteps?: number;
  maxDurationMs?: number;
}

/** The settings only the platform operator sets (`PATCH /api/v1/platform/orgs/:orgId`); org admins see them read-only. */
export interface OrgPlatformSettings {
  /** CIDRs and host names the org's outbound calls may reach besides public addresses. */
  egressAllowlist: string[];
  limits: OrgLimits;
}

const positiveInt = (v: unknown): number | undefined => (typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined);

/** Reads the platform settings out of `organization.settings` (free-form JSON), ignoring anything malformed. */
export function readPlatformSettings(settings: Record<string, unknown> | null | undefined): OrgPlatformSettings {
  const s = settings ?? {};
  const allow = Array.isArray(s.egressAllowlist) ? s.egressAllowlist.filter((x): x is string => typeof x === 'string') : [];
  const raw = (s.limits && typeof s.limits === 'object' ? s.limits : {}) as Record<string, unknown>;
  const limits: OrgLimits = {};
  for (const k of ['maxConcurrent', 'maxSteps', 'maxDurationMs'] as const) {
    const v = positiveInt(raw[k]);
    if (v !== undefined) limits[k] = v;
  }
  return { egressAllowlist: allow, limits };
}
