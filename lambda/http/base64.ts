const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard padded base64, decoded; undefined for anything else, where Buffer.from would guess. */
export const decodeBase64 = (text: string): Buffer | undefined => (BASE64.test(text) ? Buffer.from(text, 'base64') : undefined);
