import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

@Entity('platform_key')
export class PlatformKeyEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') publicId: string;
  @Column('bytea') secretHash: Buffer;
  @Column('text') name: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @Column('timestamptz', { nullable: true }) revokedAt: Date | null;
  @Column('timestamptz', { nullable: true }) lastUsedAt: Date | null;
}
