/**
 * `GET /v1/agent/whoami` on the control plane: which enrolled host a host token belongs to. Answered by
 * the control plane (src/control/api/agent-routes.ts), asked by the log collector to check a shipper's
 * enrolment token (src/logs/collect/shipper-auth.ts). 200 with the answer, 401 for an unknown token.
 */
import { z } from 'zod';

/** Path of the host-token check. */
export const WHOAMI_PATH = '/v1/agent/whoami';

/** The 200 answer: the host's enrolled name. */
export const whoamiAnswerSchema = z.object({ host: z.string().min(1).max(253) }).strict();

/** The 200 answer of `GET /v1/agent/whoami`. */
export type WhoamiAnswer = z.infer<typeof whoamiAnswerSchema>;
