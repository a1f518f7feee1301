import { CommonException, type FieldError } from '../../core/errors/app.exception.js';
import { allowlistEntryProblem } from '../egress/index.js';
import { LIMIT_KEYS, type OrgPlatformSettingsPatchDto } from './dto/org-settings.dto.js';

/** Per-org run limit overrides, set by the platform operator only. */
export interface OrgLimits {
  maxConcurrent?: number;
  maxRunsPerMinute?: number;
  maxSteps?: number;
  maxDurationMs?: number;
}

/** The settings only the platform operator sets (`PATCH /api/v1/platform/orgs/:orgId`); org admins see them read-only. */
export interface OrgPlatformSettings {
  /** CIDRs and host names the org's outbound calls may reach besides public addresses. */
  egressAllowlist: string[];
  limits: OrgLimits;
  /** Days finished runs are kept (absent: the server default `TENANTFLOW_RUN_RETENTION_DAYS`). */
  runRetentionDays?: number;
}

const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;

/** Reads the platform settings out of `organization.settings` (free-form JSON), ignoring anything malformed. */
export function readPlatformSettings(settings: Record<string, unknown> | null | undefined): OrgPlatformSettings {
  const s = settings ?? {};
  const allow = Array.isArray(s.egressAllowlist)
    ? s.egressAllowlist.filter((x): x is string => typeof x === 'string')
    : [];
  const raw = (s.limits && typeof s.limits === 'object' ? s.limits : {}) as Record<string, unknown>;
  const limits: OrgLimits = {};
  for (const k of LIMIT_KEYS) {
    const v = positiveInt(raw[k]);
    if (v !== undefined) limits[k] = v;
  }
  const retention = positiveInt(s.runRetentionDays);
  return { egressAllowlist: allow, limits, ...(retention !== undefined ? { runRetentionDays: retention } : {}) };
}

/**
 * `organization.settings` with the operator's patch applied: the allowlist is replaced (entries trimmed, duplicates
 * dropped, each checked: CIDR or host name, never cloud metadata), limits are merged (null removes one), the run
 * retention is set (null removes it). Throws
 * 400 `validation_failed` naming every bad entry.
 */
export function applyPlatformSettings(
  current: Record<string, unknown> | null,
  patch: OrgPlatformSettingsPatchDto,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...(current ?? {}) };
  if (patch.egressAllowlist !== undefined) {
    const errors: FieldError[] = [];
    patch.egressAllowlist.forEach((entry, i) => {
      const problem = allowlistEntryProblem(entry);
      if (problem) errors.push({ path: `settings.egressAllowlist.${i}`, message: problem });
    });
    if (errors.length) throw new CommonException('validation_failed', 'The egress allowlist is invalid', { errors });
    next.egressAllowlist = [...new Set(patch.egressAllowlist.map((e) => e.trim()))];
  }
  if (patch.limits !== undefined) {
    const limits: Record<string, number> = { ...readPlatformSettings(current).limits };
    for (const k of LIMIT_KEYS) {
      const v = patch.limits[k];
      if (v === null) delete limits[k];
      else if (v !== undefined) limits[k] = v;
    }
    next.limits = limits;
  }
  if (patch.runRetentionDays === null) delete next.runRetentionDays;
  else if (patch.runRetentionDays !== undefined) next.runRetentionDays = patch.runRetentionDays;
  return next;
}
