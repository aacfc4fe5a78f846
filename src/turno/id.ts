/**
 * Counter ids. The safe set is deliberately small so an id is the same string in a URL, a Redis key,
 * a journal line and a JSON body, with no decoding step where ambiguity (or traversal) could hide:
 * 1 to 128 characters from `A-Z a-z 0-9 . _ - :`, and not `.` or `..`. A percent sign is not in the
 * set, so encoded slashes, NUL or unicode are rejected rather than decoded.
 */

/** Maximum id length in characters (= bytes, the set is ASCII). */
export const MAX_ID_LENGTH = 128;

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** True when `id` is a valid counter id. */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id) && id !== '.' && id !== '..';
}

/** Why `id` is invalid, for the error message (undefined when valid). */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'id is empty';
  if (id.length > MAX_ID_LENGTH) return `id is longer than ${MAX_ID_LENGTH} characters`;
  if (id === '.' || id === '..') return 'id must not be "." or ".."';
  if (!ID_PATTERN.test(id)) return 'id may only contain A-Z a-z 0-9 . _ - : (no percent-encoding)';
  return undefined;
}
