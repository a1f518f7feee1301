import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { FLOW_SHARE_ROLES, type FlowShareRole } from '../flow-share.entity.js';

export class SetFlowShareDto {
  @ApiProperty({ enum: FLOW_SHARE_ROLES })
  @IsIn(FLOW_SHARE_ROLES)
  role: FlowShareRole;
}

export class FlowShareResponseDto {
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ enum: FLOW_SHARE_ROLES }) role: FlowShareRole;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}
