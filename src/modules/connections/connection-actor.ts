import { RequestContextStore } from '../../core/context/request-context.js';
import { UUID_RE } from '../../core/crypto/tokens.js';

/** Who is acting, for `created_by` columns. */
export function currentActor(): { type: string; id: string | null } {
  const p = RequestContextStore.get()?.principal;
  if (!p) return { type: 'system', id: null };
  return { type: p.type, id: UUID_RE.test(p.id) ? p.id : null };
}
