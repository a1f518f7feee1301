import { ApiProperty } from '@nestjs/swagger';

export class AuditActorDto {
  @ApiProperty({ enum: ['user', 'api_key', 'platform', 'embed', 'system'] }) type: string;
  @ApiProperty({ nullable: true, type: String }) id: string | null;
  @ApiProperty({ nullable: true, type: String }) displayName: string | null;
}

export class AuditEventResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String, description: 'null for platform-level entries' }) orgId:
    string | null;
  @ApiProperty({ description: 'Position in the org chain (1-based, gap-free)' }) seq: number;
  @ApiProperty({ format: 'date-time' }) time: string;
  @ApiProperty({ type: AuditActorDto }) actor: AuditActorDto;
  @ApiProperty({ example: 'project.updated' }) action: string;
  @ApiProperty() resourceType: string;
  @ApiProperty({ nullable: true, type: String }) resourceId: string | null;
  @ApiProperty({ enum: ['success', 'failure', 'denied'] }) outcome: string;
  @ApiProperty({ nullable: true, type: String }) reason: string | null;
  @ApiProperty({ nullable: true, type: String }) ip: string | null;
  @ApiProperty({ nullable: true, type: String }) userAgent: string | null;
  @ApiProperty({ nullable: true, type: String }) requestId: string | null;
  @ApiProperty({
    type: Object,
    additionalProperties: true,
    description: 'Redacted; configuration changes carry before and after',
  })
  metadata: Record<string, unknown>;
  @ApiProperty({ description: 'sha256(previous hash | seq | time | canonical entry), hex' }) hash: string;
}

export class AuditEventPageDto {
  @ApiProperty({ type: [AuditEventResponseDto] }) items: AuditEventResponseDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class AuditVerifyResponseDto {
  @ApiProperty() ok: boolean;
  @ApiProperty({ description: 'Entries checked' }) checked: number;
  @ApiProperty({ required: false, format: 'uuid', description: 'The first entry that does not verify' })
  firstBadEventId?: string;
  @ApiProperty({ required: false, enum: ['hash_mismatch', 'sequence_gap', 'missing_anchor', 'head_mismatch'] })
  reason?: string;
}
