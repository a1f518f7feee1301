import type { MigrationInterface, QueryRunner } from 'typeorm';

/** SAML requests remember the SHA-256 of the browser-binding cookie of the browser that started them (login CSRF). */
export class SamlBrowserBinding1764600000000 implements MigrationInterface {
  name = 'SamlBrowserBinding1764600000000';

  async up(q: QueryRunner): Promise<void> {
    // Pending requests are minutes old; one without a binding is refused at the ACS, so none needs a backfill.
    await q.query(`ALTER TABLE sso_saml_request ADD COLUMN binding_hash bytea`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE sso_saml_request DROP COLUMN binding_hash`);
  }
}
