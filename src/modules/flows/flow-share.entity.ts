import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const FLOW_SHARE_ROLES = ['editor', 'viewer'] as const;
export type FlowShareRole = (typeof FLOW_SHARE_ROLES)[number];

/** A flow-level role for one org member (on top of their org and project roles). */
@Entity('flow_share')
export class FlowShareEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') flowId: string;
  @Column('uuid') userId: string;
  @Column('text') role: FlowShareRole;
  @Column('text') createdByType: string;
  @Column('uuid', { nullable: true }) createdById: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
