import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { SsoProtocol } from './sso.types.js';

/** One IdP configuration per org and protocol. `settings` never holds a secret; the client secret is sealed apart. */
@Entity('sso_config')
export class SsoConfigEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') protocol: SsoProtocol;
  @Column('boolean') enabled: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- validated per protocol on write
  @Column('jsonb') settings: Record<string, any>;
  @Column('text', { nullable: true }) secretCiphertext: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
