import { Module, type OnModuleInit } from '@nestjs/common';
import { AccessHooks, AuthorizationModule } from '../authorization/index.js';
import { IdentityModule } from '../identity/index.js';
import { TenancyModule } from '../tenancy/index.js';
import { EmbedController } from './embed.controller.js';
import { EmbedCors } from './embed-cors.js';
import { EmbedKeysService } from './embed-keys.service.js';
import { EmbedSessionsService } from './embed-sessions.service.js';
import { JtiStore } from './jti-store.js';

/** Embedding: org signing keys, token exchange for project-bound bearer sessions, per-org CORS for host pages. */
@Module({
  imports: [IdentityModule, TenancyModule, AuthorizationModule],
  controllers: [EmbedController],
  providers: [EmbedKeysService, EmbedSessionsService, EmbedCors, JtiStore],
  exports: [EmbedCors],
})
export class EmbedModule implements OnModuleInit {
  constructor(
    private readonly hooks: AccessHooks,
    private readonly cors: EmbedCors,
  ) {}

  onModuleInit(): void {
    this.hooks.onAuthenticated(async (req, principal) => {
      if (principal.type === 'embed' && principal.orgId) await this.cors.applyForOrg(req, principal.orgId);
    });
  }
}
