import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A project-level role assignment: inside the project it replaces the user's org role (never an owner's). */
@Entity('project_member')
export class ProjectMemberEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') projectId: string;
  @Column('uuid') userId: string;
  @Column('text') role: string;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
