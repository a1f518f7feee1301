/** Public API of the webhooks module: inbound triggers and their auth verifiers. */
export { WebhooksModule } from './webhooks.module.js';
export {
  verifyWebhookAuth,
  checkHandshake,
  type WebhookRequestView,
  type AuthVerdict,
} from './inbound/auth/verify-webhook-auth.js';
export { signRequest, hmacPreset } from './inbound/auth/hmac-signature.js';
export { MemoryReplayCache, RedisReplayCache, type ReplayCache } from './inbound/auth/replay-cache.js';
