import { Module } from '@nestjs/common';
import { OrgController } from './org.controller.js';
import { OrgsService } from './orgs.service.js';
import { ProjectsController } from './projects.controller.js';
import { ProjectsService } from './projects.service.js';

@Module({
  controllers: [OrgController, ProjectsController],
  providers: [OrgsService, ProjectsService],
  exports: [OrgsService, ProjectsService],
})
export class TenancyModule {}
