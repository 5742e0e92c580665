import { Matches } from 'class-validator';

// C0 controls, DEL and C1 controls. PostgreSQL refuses NUL in text (a 500 if it gets that far), and the
// rest have no business in a name or a title: they hide text in logs and terminals.
const ANY_CONTROL = /^[^\u0000-\u001f\u007f-\u009f]*$/;
// The same, but tab, line feed and carriage return are text in a multi-line field.
const CONTROL_EXCEPT_LINES = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$/;

/** A single-line string: no control characters at all (NUL included). */
export const NoControlChars = () => Matches(ANY_CONTROL, { message: '$property must not contain control characters' });

/** A multi-line string: tab and line breaks allowed, other control characters (NUL included) not. */
export const NoControlCharsExceptLines = () =>
  Matches(CONTROL_EXCEPT_LINES, {
    message: '$property must not contain control characters other than tab and line breaks',
  });
