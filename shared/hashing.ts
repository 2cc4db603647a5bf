/** SHA-256 of text, as both tiers compute it (shared/crypto-primitives.ts). */
import { cryptoPrimitives } from './crypto-primitives.ts'

export { fromHex, toHex } from './hex.ts'

const encoder = new TextEncoder()

/** Hex SHA-256 of a string's UTF-8 bytes. */
export async function sha256Hex(text: string): Promise<string> {
  return cryptoPrimitives().sha256Hex(encoder.encode(text))
}
