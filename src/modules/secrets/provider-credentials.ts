import { Injectable } from '@nestjs/common';
import { SecretBox } from '../../core/crypto/secret-box.js';
import type { ProviderAuth } from './provider-config.js';

/**
 * The one place secret-provider credentials are sealed and opened. The context binds a ciphertext to its org, table,
 * row and field, so a value copied to another row or org does not open. (When the shared key ring lands, only this
 * file changes.)
 */
@Injectable()
export class ProviderCredentials {
  constructor(private readonly box: SecretBox) {}

  seal(orgId: string, providerId: string, auth: ProviderAuth): string {
    return this.box.seal(JSON.stringify(auth), context(orgId, providerId));
  }

  open(orgId: string, providerId: string, sealed: string): ProviderAuth {
    return JSON.parse(this.box.open(sealed, context(orgId, providerId))) as ProviderAuth;
  }
}

const context = (orgId: string, providerId: string): string => `secret_provider:${orgId}:${providerId}:auth`;
