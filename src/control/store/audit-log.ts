/**
 * The one writer of `audit_log` rows (migration 0002): who (`actor`: an operator token's name, a
 * host as `host:<name>`, or a service), what (`action`, e.g. `bundle.publish`, `host.enroll`,
 * `request.rejected`) and its details as JSON. Every store that records a change calls it inside the
 * change's own transaction, so a change and its row are written together or not at all.
 */
import type { Queryable } from '../../core/db/database.js';

/** Append one audit row through `q` (a database or an open transaction). */
export async function insertAuditRow(q: Queryable, actor: string, action: string, detail: Record<string, unknown>): Promise<void> {
  await q.query(`INSERT INTO audit_log (actor, action, detail) VALUES ($1, $2, $3::text::jsonb)`, [actor, action, JSON.stringify(detail)]);
}
