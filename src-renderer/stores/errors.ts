/** What the stores show for a failed call: the Error's own words (api.ts words them for people). */
export function errorText(e: unknown): string {
  if (e instanceof Error && e.message.trim() !== '') return e.message;
  if (typeof e === 'string' && e.trim() !== '') return e;
  return 'Something went wrong, and the app gave no reason. Try again.';
}
