import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsObject, IsOptional } from 'class-validator';

export class PluginConfigDto {
  @ApiProperty({ description: 'Whether the plugin runs for this org.' })
  @IsBoolean()
  enabled: boolean;

  @ApiPropertyOptional({
    type: Object,
    additionalProperties: true,
    description: "Settings, checked against the plugin's configSchema.",
  })
  @IsOptional()
  @IsObject()
  settings?: Record<string, unknown>;
}

export class RequiredTableDto {
  @ApiProperty() name: string;
  @ApiProperty({ type: [String] }) columns: string[];
}

export class PluginResponseDto {
  @ApiProperty() name: string;
  @ApiProperty() version: string;
  @ApiProperty({ enum: ['trusted', 'sandboxed'] }) mode: string;
  @ApiProperty() priority: number;
  @ApiProperty({ type: [String] }) hooks: string[];
  @ApiProperty({ type: [RequiredTableDto] }) requiredTables: RequiredTableDto[];
  @ApiProperty({ enum: ['ready', 'missing_tables'] }) status: string;
  @ApiProperty({ type: [String], description: 'What keeps the plugin off (missing tables or columns).' })
  problems: string[];
  @ApiProperty({ description: "Enabled for the caller's org." }) enabled: boolean;
  @ApiProperty({ type: Object, additionalProperties: true }) settings: Record<string, unknown>;
}

export class PluginListDto {
  @ApiProperty({ type: [PluginResponseDto] }) items: PluginResponseDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: null;
}
