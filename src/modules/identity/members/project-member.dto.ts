import { ApiProperty } from '@nestjs/swagger';
import { RoleField } from '../users/user.dto.js';

export class SetProjectMemberDto {
  @RoleField() role: string;
}

export class ProjectMemberResponseDto {
  @ApiProperty({ format: 'uuid' }) projectId: string;
  @ApiProperty({ format: 'uuid' }) userId: string;
  @ApiProperty({ description: 'admin, editor, viewer or a custom role id' }) role: string;
  @ApiProperty() email: string;
  @ApiProperty({ nullable: true, type: String }) displayName: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}
