import { codedException } from '../../core/errors/app.exception.js';

export const FLOWS_ERROR_HTTP = {
  flow_not_found: 404,
  flow_version_not_found: 404,
  flow_share_not_found: 404,
  user_not_found: 404,
  project_not_found: 404,
  definition_invalid: 400,
  definition_not_publishable: 422,
  definition_too_large: 413,
  definition_too_many_nodes: 422,
  draft_conflict: 412,
  precondition_required: 428,
  flow_not_published: 409,
  forbidden: 403,
} as const;

export type FlowsErrorCode = keyof typeof FLOWS_ERROR_HTTP;

export class FlowsException extends codedException(FLOWS_ERROR_HTTP) {}

export const flowNotFound = (): FlowsException => new FlowsException('flow_not_found', 'Flow not found');
export const flowForbidden = (): FlowsException =>
  new FlowsException('forbidden', 'You do not have permission for this action on the flow');
