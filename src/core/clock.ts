/**
 * Time, injected: every module that reads the time takes a Clock (default `systemClock`), so tests
 * drive time instead of waiting for it.
 */

/**
 * A source of time in milliseconds. It is a number, not a Date: most readers subtract readings
 * (durations, deadlines, rates), and a hot path (ingest, collectors) should not allocate a Date to
 * do it; `new Date(clock())` makes a Date where one is needed. Unless a consumer documents that it
 * only measures intervals (and may then be given a monotonic clock such as `performance.now`), a
 * reading is milliseconds since the Unix epoch, as `Date.now()` returns.
 */
export type Clock = () => number;

/** The real wall clock: `Date.now()`. */
export const systemClock: Clock = () => Date.now();

/** The real monotonic clock (`performance.now()`): for consumers that only measure intervals. */
export const monotonicClock: Clock = () => performance.now();
