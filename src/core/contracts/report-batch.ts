/**
 * Report protocol v2: `POST /v2/reports` carries a batch `{"reports":[HostReport, ...]}`, optionally
 * `Content-Encoding: gzip`, and is answered `{"results":[...]}`, one result per report in order. Shared by
 * the control plane (which enforces these bounds) and its clients (the agent's reporter, the simulator,
 * relays), which split their batches to fit them. v1 (`POST /v1/reports`, one report) stays accepted.
 */

/** Most reports in one batch sent with a host's own token (every report must name that host). */
export const MAX_HOST_BATCH_REPORTS = 100;
/** Most reports in one batch sent with an operator token of scope `ingest` (a relay, any enrolled host). */
export const MAX_RELAY_BATCH_REPORTS = 1000;
/** Most bytes of a batch on the wire (compressed when gzip). */
export const MAX_BATCH_BODY_BYTES = 8 * 1024 * 1024;
/** Most bytes of a batch once inflated. */
export const MAX_BATCH_INFLATED_BYTES = 32 * 1024 * 1024;
/**
 * Most inflated bytes per compressed byte. Measured on the simulator's reports (src/control/simulate):
 * 100 reports of one host gzip 11:1, 1,000 reports of 1,000 hosts 8.4:1 (docs/control-plane.md, "How
 * reports get in"); a bomb of zeros is ~1,000:1.
 */
export const MAX_BATCH_GZIP_RATIO = 100;

/** What became of one report of a batch: the v1 outcome, or the error v1 would have answered. */
export type ReportResult = { readonly outcome: 'stored' | 'duplicate' | 'expired' } | { readonly error: { readonly code: string; readonly message: string } };

/** The answer to a batch. */
export interface ReportBatchAnswer {
  readonly results: readonly ReportResult[];
}

