// Phone numbers as the product stores and compares them: E.164 ("+14155550123"). Retell sends E.164,
// but people type numbers in every shape, so anything we accept goes through toE164 first.

const E164 = /^\+[1-9]\d{6,14}$/;

export function isE164(value: string): boolean {
  return E164.test(value);
}

/**
 * Normalises a phone number to E.164, reading bare 10-digit numbers (and 11 digits starting with 1)
 * as North American. Returns null when the input cannot be a phone number.
 */
export function toE164(input: string | null | undefined): string | null {
  if (!input) return null;
  const trimmed = input.trim();
  const digits = trimmed.replace(/[^\d]/g, "");
  if (trimmed.startsWith("+")) return isE164(`+${digits}`) ? `+${digits}` : null;
  if (trimmed.startsWith("00")) return isE164(`+${digits.slice(2)}`) ? `+${digits.slice(2)}` : null;
  if (digits.length === 10 && /^[2-9]/.test(digits)) return `+1${digits}`;
  if (digits.length === 11 && digits.startsWith("1") && /^[2-9]/.test(digits[1])) return `+${digits}`;
  return null;
}

/** The area code of a North American (+1) number, or null for other countries. */
export function northAmericanAreaCode(e164: string): string | null {
  return /^\+1([2-9]\d{2})\d{7}$/.exec(e164)?.[1] ?? null;
}
