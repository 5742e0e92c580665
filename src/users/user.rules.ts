/** Limits of user fields: the DTOs, the CLI, the admin panel and the entity all read them from here. */
export const USERNAME_MAX_LENGTH = 100;
export const PASSWORD_MIN_LENGTH = 8;
/** argon2 takes any length; a bound keeps hashing cost and request size sane. */
export const PASSWORD_MAX_LENGTH = 1024;

/** What a new password must be and is not ("at least 8 characters"), or null when it is fine. */
export function passwordProblem(password: string): string | null {
  if (password.length < PASSWORD_MIN_LENGTH) return `at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `at most ${PASSWORD_MAX_LENGTH} characters`;
  return null;
}

/** What a username must be and is not ("at most 100 characters"), or null when it is fine (pass it trimmed). */
export function usernameProblem(username: string): string | null {
  if (!username) return 'given';
  if (username.length > USERNAME_MAX_LENGTH) return `at most ${USERNAME_MAX_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(username)) return 'free of control characters';
  return null;
}
