import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type SessionMethod = 'saml' | 'oidc' | 'embed' | 'test';

/** A browser session. Only a hash of the cookie's secret is stored; the CSRF token is derived from the cookie. */
@Entity('app_session')
export class SessionEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') userId: string;
  @Column('text') publicId: string;
  @Column('bytea') secretHash: Buffer;
  @Column('text') method: SessionMethod;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { nullable: true }) userAgent: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz') lastSeenAt: Date;
  @Column('timestamptz') expiresAt: Date;
  @Column('timestamptz', { nullable: true }) revokedAt: Date | null;
}
