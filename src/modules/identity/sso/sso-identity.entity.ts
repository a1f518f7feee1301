import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { SsoProvider } from './sso.types.js';

/** Links (org, provider, issuer, subject), compared exactly, to one user of that org. */
@Entity('sso_identity')
export class SsoIdentityEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') userId: string;
  @Column('text') provider: SsoProvider;
  @Column('text') issuer: string;
  @Column('text') subject: string;
  @Column('text', { nullable: true }) email: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { nullable: true }) lastLoginAt: Date | null;
}
