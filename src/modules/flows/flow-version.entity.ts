import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A published, immutable version (the database refuses updates; see the Flows migration). */
@Entity('flow_version')
export class FlowVersionEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid') flowId: string;
  @Column('integer') version: number;
  /** Schema version of `definition` as stored; readers upgrade it (`upgradeDefinition`). */
  @Column('integer') schemaVersion: number;
  @Column('jsonb') definition: unknown;
  /** SHA-256 of the canonical JSON of the definition. */
  @Column('text') definitionHash: string;
  @Column('text', { nullable: true }) message: string | null;
  /** Set on versions made by a rollback: the version they copy. */
  @Column('integer', { nullable: true }) rolledBackFrom: number | null;
  @Column('text') createdByType: string;
  @Column('uuid', { nullable: true }) createdById: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
}
