import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('api_key')
export class ApiKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') publicId: string;
  @Column('bytea') secretHash: Buffer;
  @Column('bytea', { nullable: true }) previousSecretHash: Buffer | null;
  @Column('timestamptz', { nullable: true }) previousValidUntil: Date | null;
  @Column('text') name: string;
  @Column('text') role: string;
  @Column('uuid', { nullable: true }) projectId: string | null;
  @Column('text', { array: true, nullable: true }) scopes: string[] | null;
  @Column('timestamptz', { nullable: true }) expiresAt: Date | null;
  @Column('timestamptz', { nullable: true }) revokedAt: Date | null;
  @Column('text') createdByType: string;
  @Column('uuid', { nullable: true }) createdById: string | null;
  /** The user on whose authority the key exists (its creator, or the creating key's authority); null for org root keys. */
  @Column('uuid', { nullable: true }) ownerUserId: string | null;
  @Column('timestamptz', { nullable: true }) lastUsedAt: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
