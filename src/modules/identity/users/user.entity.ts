import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export type UserStatus = 'active' | 'deactivated';

@Entity('app_user')
export class UserEntity {
  @PrimaryColumn('uuid') id: string;
  @Column('uuid') orgId: string;
  @Column('text') email: string;
  @Column('text', { nullable: true }) displayName: string | null;
  @Column('text') role: string;
  @Column('text') status: UserStatus;
  @CreateDateColumn({ type: 'timestamptz' }) createdAt: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updatedAt: Date;
}
