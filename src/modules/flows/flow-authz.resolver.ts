import { Injectable } from '@nestjs/common';
import { IsNull } from 'typeorm';
import { UUID_RE } from '../../core/crypto/tokens.js';
import { Database } from '../../core/database/database.js';
import { AuthzCheckService } from '../authorization/index.js';
import { flowFields, flowsRepo } from './flow-access.js';

/** Lets `POST /api/v1/authz/check` answer about one flow: loads the fields flow rules test (live flows only). */
@Injectable()
export class FlowAuthzResolver {
  constructor(authz: AuthzCheckService, db: Database) {
    authz.registerResolver('Flow', (orgId, id) =>
      UUID_RE.test(id)
        ? db.withOrg(orgId, async (em) => {
            const flow = await flowsRepo.findOne(em, { orgId, id, deletedAt: IsNull() });
            return flow ? flowFields(flow) : null;
          })
        : Promise.resolve(null),
    );
  }
}
