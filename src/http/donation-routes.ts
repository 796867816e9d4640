/** @module The donation API beside GET /tip (src/anchor/donation-protocol.ts): GET /donate says which tip the calendar wants a transaction for and the rules, POST /donate takes the raw transaction; refusals and pushback are mapped in errors.ts. */
import { type DonationAnswer, type DonationOffer, DONATION_OFFER_MAX_AGE_SECONDS } from '../anchor/donation-protocol.js';
import { CACHE } from './cache-policy.js';
import { jsonResponse, textResponse } from './errors.js';
import type { BodyLimit } from './node-server.js';
import type { HttpRequest, HttpResponse } from './types.js';

/**
 * Bodies longer than this are not read at all (413). Below it, the calendar itself refuses anything over
 * DONATED_TX_MAX_BYTES with the code `too-large`, so a donor learns the rule rather than a transport limit.
 */
export const DONATE_BODY: BodyLimit = { maxBytes: 16 * 1024, status: 413, text: 'Request body too large' };

export interface DonationRoutesDeps {
  /** The calendar's donated-transaction strategy; absent when it takes none (GET and POST /donate answer 404). */
  donations?: {
    offer(): DonationOffer;
    submit(raw: Uint8Array): Promise<Extract<DonationAnswer, { accepted: true }>>;
  };
}

const NONE = 'This calendar takes no donated transactions';

export function getDonate(deps: DonationRoutesDeps): HttpResponse {
  if (deps.donations === undefined) return textResponse(404, NONE, CACHE.unknownPath);
  return jsonResponse(200, deps.donations.offer(), `public, max-age=${DONATION_OFFER_MAX_AGE_SECONDS}`);
}

export async function postDonate(deps: DonationRoutesDeps, req: HttpRequest): Promise<HttpResponse> {
  if (deps.donations === undefined) return textResponse(404, NONE, CACHE.unknownPath);
  return jsonResponse(200, await deps.donations.submit(req.body), CACHE.never);
}
