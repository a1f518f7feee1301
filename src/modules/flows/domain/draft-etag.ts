import { FlowsException } from '../flows.exception.js';

/** Strong ETag of a draft revision (RFC 9110 §8.8.3). */
export const draftEtag = (flowId: string, revision: number): string => `"${flowId.slice(0, 8)}-r${revision}"`;

/**
 * The revision an `If-Match` header names, `'any'` for `*`, or an error: a missing header is 428, a header naming
 * no current revision is 412 (`draft_conflict`). Weak tags never match (If-Match uses strong comparison).
 */
export function expectedRevision(ifMatch: string | undefined, flowId: string, currentRevision: number): number | 'any' {
  if (ifMatch === undefined || ifMatch.trim() === '') {
    throw new FlowsException(
      'precondition_required',
      'Saving a draft needs an If-Match header with the ETag from GET /draft',
    );
  }
  if (ifMatch.trim() === '*') return 'any';
  const current = draftEtag(flowId, currentRevision);
  const tags = ifMatch.split(',').map((t) => t.trim());
  if (tags.includes(current)) return currentRevision;
  throw draftConflict();
}

export const draftConflict = (): FlowsException =>
  new FlowsException('draft_conflict', 'The draft changed since it was read; reload it and apply your change again');
