import { type PipeTransform } from '@nestjs/common';
import { UuidParam } from '../../core/http/validation.js';
import { FlowsException, flowNotFound } from './flows.exception.js';

export const FlowIdPipe = UuidParam(flowNotFound);
export const ProjectIdPipe = UuidParam(() => new FlowsException('project_not_found', 'Project not found'));
export const UserIdPipe = UuidParam(
  () => new FlowsException('user_not_found', 'No active user with this id in the organization'),
);

/** `:version` path parameter: a positive integer, anything else is simply "no such version". */
export const VersionPipe: PipeTransform<string, number> = {
  transform(value: string): number {
    if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2_147_483_647) {
      throw new FlowsException('flow_version_not_found', 'Flow version not found');
    }
    return Number(value);
  },
};
