/** Public API of the tenancy module: organizations and projects. */
export { TenancyModule } from './tenancy.module.js';
export { OrgsService } from './orgs.service.js';
export { ProjectsService } from './projects.service.js';
export { OrganizationEntity, type OrgStatus } from './organization.entity.js';
export { ProjectEntity } from './project.entity.js';
export type { OrgResponseDto } from './dto/org.dto.js';
export { CreateOrgDto, SetOrgStatusDto } from './dto/org.dto.js';
export { TenancyException, TENANCY_ERROR_HTTP } from './tenancy.exception.js';
export { readPlatformSettings, type OrgLimits, type OrgPlatformSettings } from './org-settings.js';
