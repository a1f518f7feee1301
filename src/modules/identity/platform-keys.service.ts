import { Injectable } from '@nestjs/common';
import { uuidv7 } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { PlatformKeyEntity } from './platform-key.entity.js';
import { mintKey } from './key-format.js';

@Injectable()
export class PlatformKeysService {
  constructor(private readonly db: Database) {}

  /** Creates a platform operator key and returns the credential (shown once). */
  async create(name: string): Promise<{ id: string; key: string }> {
    const minted = mintKey('tfp');
    const id = uuidv7();
    await this.db.withSystem((em) =>
      em
        .getRepository(PlatformKeyEntity)
        .insert({ id, publicId: minted.publicId, secretHash: minted.secretHash, name }),
    );
    return { id, key: minted.key };
  }
}
