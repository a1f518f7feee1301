import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** A flow and its one draft (the draft is edited in place under a revision counter). */
@Entity('flow')
export class FlowEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') projectId: string;
  @Column('text') name: string;
  @Column('text', { nullable: true }) description: string | null;
  @Column('boolean') enabled: boolean;
  /** The newest published version (the one webhooks and schedules run); null before the first publish. */
  @Column('integer', { nullable: true }) publishedVersion: number | null;
  @Column('jsonb') draft: unknown;
  /** Bumped by every draft save; the draft's ETag is derived from it. */
  @Column('integer') draftRevision: number;
  @Column('timestamptz') draftUpdatedAt: Date;
  @Column('text') createdByType: string;
  @Column('uuid', { nullable: true }) createdById: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
  @Column('timestamptz', { nullable: true }) deletedAt: Date | null;
}
