import { Injectable } from '@nestjs/common';
import { KeyRing, type CipherRef } from '../../core/crypto/key-ring.js';
import { registerEncryptedColumn } from '../../core/crypto/key-rotation.js';
import type { ProviderAuth } from './provider-config.js';

// `keys:rotate` re-encrypts provider credentials with every other encrypted column.
registerEncryptedColumn({ table: 'secret_provider', column: 'auth_ciphertext', field: 'auth' });

const ref = (orgId: string, providerId: string): CipherRef => ({
  orgId,
  table: 'secret_provider',
  rowId: providerId,
  field: 'auth',
});

/**
 * The one place secret-provider credentials are sealed and opened: with the key ring (the org's data key,
 * AES-256-GCM), bound to the org, table, row and field, so a value copied to another row or org does not open.
 */
@Injectable()
export class ProviderCredentials {
  constructor(private readonly keys: KeyRing) {}

  seal(orgId: string, providerId: string, auth: ProviderAuth): Promise<string> {
    return this.keys.seal(ref(orgId, providerId), JSON.stringify(auth));
  }

  async open(orgId: string, providerId: string, sealed: string): Promise<ProviderAuth> {
    return JSON.parse(await this.keys.open(ref(orgId, providerId), sealed)) as ProviderAuth;
  }
}
