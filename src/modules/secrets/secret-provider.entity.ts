import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ProviderConfig, ProviderType } from './provider-config.js';

/** One secret provider of an org, by name. `config` never holds a credential; `auth` is sealed apart (write-only). */
@Entity('secret_provider')
export class SecretProviderEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') name: string;
  @Column('text') type: ProviderType;
  @Column('jsonb') config: ProviderConfig;
  @Column('text') authMethod: string;
  @Column('text', { nullable: true }) authCiphertext: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
