import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type OrgStatus = 'active' | 'suspended';

@Entity('organization')
export class OrganizationEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('text') slug: string;
  @Column('text') name: string;
  @Column('text') status: OrgStatus;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form JSON settings
  @Column('jsonb') settings: Record<string, any>;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
