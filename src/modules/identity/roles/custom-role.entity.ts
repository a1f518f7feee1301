import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** One permission of a custom role, from the fixed vocabulary (see `permission-vocabulary.ts`). */
export interface PermissionSpec {
  action: string;
  subject: string;
  conditions?: { projectId?: string | string[]; ownerUserId?: '$self' };
}

@Entity('custom_role')
export class CustomRoleEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('jsonb') permissions: PermissionSpec[];
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
