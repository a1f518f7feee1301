/** Public API of the audit module: the Nest module, chain verification (route and CLI) and the catalogue. */
export { AuditModule } from './audit.module.js';
export {
  verifyAuditChain,
  describeVerification,
  auditVerifyCommand,
  type AuditVerification,
  type ChainVerification,
  type VerifyFailure,
} from './audit-verify.js';
export { AUDIT_CATALOGUE, AUDIT_ACTIONS, type CatalogueEntry } from './audit.catalogue.js';
export { AuditRetentionService, type PurgeResult } from './audit-retention.service.js';
export { PLATFORM_ORG_ID } from './audit-hash.js';
