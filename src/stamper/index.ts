/**
 * @module The stamper role's pieces: following calendars' advertised tips and paying for their transactions (`Stamper`), the transaction it builds from its wallet, the client of a calendar's donation API, and its persisted state.
 */
export { type StamperRoleSettings, type StamperOptions, Stamper } from './stamper.js';
export { type BuildRpc, type BuildOutcome, type BuildRequest, DonationBuilder, chooseSegwitOutput } from './donation-builder.js';
export { type OfferClientOptions, OfferClient } from './offer-client.js';
export {
  type PaidTxStatus,
  type PaidTx,
  type StamperState,
  STAMPER_STATE_FILE,
  STAMPER_LOCK_FILE,
  MAX_FINISHED_TXS,
  StamperRoleStateError,
  StamperStateWriteError,
  StamperLockedError,
  StamperStore,
  emptyStamperState,
  encodeStamperState,
  decodeStamperState,
} from './stamper-state.js';
