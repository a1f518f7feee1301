import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { ConnectionType } from './connection-types.js';

/** A connection. `settings` holds only non-secret fields; the secret fields are one key-ring envelope. */
@Entity('connection')
export class ConnectionEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('uuid', { nullable: true }) projectId: string | null;
  @Column('text') name: string;
  @Column('text') type: ConnectionType;
  @Column('boolean') predefined: boolean;
  @Column('uuid', { array: true, nullable: true }) allowedProjectIds: string[] | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- validated per type on write (connection-types.ts)
  @Column('jsonb') settings: Record<string, any>;
  @Column('text', { nullable: true }) secretData: string | null;
  @Column('text', { nullable: true }) tokenData: string | null;
  @Column('timestamptz', { nullable: true }) tokenExpiresAt: Date | null;
  @Column('text') createdByType: string;
  @Column('uuid', { nullable: true }) createdById: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
