/**
 * The texts the benchmark sends: a deterministic stream in which text `i` is always the same and
 * no two indices give the same text (the node may cache vectors, and a repeat would measure the
 * cache, not inference).
 *
 * The mix is that of a retrieval service: about half short search queries (10–25 tokens), a
 * third passages of a few sentences (40–150 tokens) and the rest long document chunks (200–500
 * tokens, which a 128-token model truncates). Every text carries a number derived from its index
 * (an order, a ticket, a version), as real queries and documents so often do.
 */
import { mulberry32 } from '../../../shared/seeded-random.ts'

const QUERIES: ((n: string) => string)[] = [
  (n) => `How do I reset my password after support ticket ${n} was closed?`,
  (n) => `What is the return policy for order #${n} if the box was opened?`,
  (n) => `why does build ${n} fail with a segmentation fault on arm64 but not on x86`,
  (n) => `best hiking trails near Denver with less than ${n} feet of elevation gain`,
  (n) => `Is invoice ${n} tax deductible for a sole proprietor?`,
  (n) => `postgres error ${n}: could not serialize access due to concurrent update`,
  (n) => `How many calories are in ${n} grams of cooked brown rice?`,
  (n) => `Can I change the delivery address for shipment ${n} after it has left the warehouse?`,
  (n) => `symptoms of vitamin D deficiency in adults, lab result ${n}`,
  (n) => `Which train leaves Zürich for Milan after 6 pm on weekdays? (booking ${n})`,
  (n) => `python asyncio gather vs TaskGroup exception handling (issue ${n})`,
  (n) => `Does the warranty on serial number ${n} cover water damage?`,
  (n) => `convert ${n} euros to Japanese yen at today's rate`,
  (n) => `what did the court decide in case no. ${n} about tenant deposits`,
  (n) => `Kubernetes pod ${n} stuck in CrashLoopBackOff after a config map change`,
  (n) => `recipe ${n}: a vegan lasagna that serves six people`,
]

const OPENINGS: ((n: string) => string)[] = [
  (n) => `Ticket ${n}.`,
  (n) => `Release notes for version ${n.slice(0, 1)}.${n.slice(1, 3)}.${n.slice(3)}:`,
  (n) => `Section ${n} of the employee handbook.`,
  (n) => `Customer review #${n}:`,
  (n) => `Meeting notes, item ${n}.`,
  (n) => `Incident report ${n}.`,
  (n) => `Product listing ${n}.`,
  (n) => `From chapter ${n} of the field guide:`,
]

const SENTENCES = [
  'The customer reported that the mobile app logs them out every time the phone switches from Wi-Fi to cellular data.',
  'After updating the firmware, the thermostat no longer shows the humidity reading on the main screen.',
  'Our refund window is thirty days from delivery, and items must be returned in their original packaging.',
  'The migration moved every table to the new cluster, but the nightly reports still read from the old replica.',
  'Engineers traced the latency spike to a connection pool that was sized for a tenth of the current traffic.',
  'Employees may carry over up to five days of unused vacation into the following calendar year.',
  'The trail climbs steadily through pine forest before opening onto a ridge with views of the whole valley.',
  'Add the onions to the pan and cook them slowly, stirring often, until they turn a deep golden brown.',
  'The jacket kept me dry in steady rain, although the zipper started to stick after a few weeks of use.',
  'Interest rates rose for the third consecutive quarter, and mortgage applications fell to a ten-year low.',
  'The court held that the landlord must return the deposit within fourteen days unless damage is documented.',
  'Photosynthesis converts light energy into chemical energy that is stored in the bonds of glucose molecules.',
  'A new parameter lets callers choose between strict and lenient parsing of dates without a time zone.',
  'The river is known for its trout, and the best fishing is in the early morning before the water warms up.',
  'Please make sure that the device is fully charged before you start the installation of the update.',
  'The committee agreed to postpone the vote until the budget figures for the next year are available.',
  'Patients should not take this medication on an empty stomach, as it may cause nausea and dizziness.',
  'Deprecated endpoints will keep working until the end of the year, after which they will return an error.',
  'The hotel is a short walk from the old town, and the rooms facing the courtyard are pleasantly quiet.',
  'Sales in the northern region grew by eight percent, driven mainly by demand for energy-efficient heaters.',
  'The library exposes a streaming interface so that large files never have to be held in memory at once.',
  'Volunteers planted more than two thousand trees along the riverbank to slow erosion after the floods.',
  'If the error persists, clear the browser cache and sign in again using a private window.',
  'The museum reopened after renovation with a new wing dedicated to textiles from the eighteenth century.',
  'Each node keeps a small cache of recent results, so repeated requests are answered without recomputation.',
  'The battery lasted almost two full days with moderate use, which is better than the previous model.',
  'Shipping to remote islands may take up to three additional business days and is not eligible for express.',
  'The study followed four hundred participants for two years and found no significant difference in outcomes.',
  'To rotate the credentials, create a new key, deploy it everywhere, and only then revoke the old one.',
  'Heavy snowfall is expected in the mountains overnight, and several passes will be closed until noon.',
]

const pick = <T>(items: T[], next: () => number): T => items[Math.floor(next() * items.length)]

function sentences(count: number, next: () => number): string {
  return Array.from({ length: count }, () => pick(SENTENCES, next)).join(' ')
}

/** Text number `index` of the stream (any integer ≥ 0, up to 9 digits). */
export function workloadText(index: number): string {
  const next = mulberry32(Math.imul(index, 2654435761))
  // Every template contains all of `n`, which is what makes texts distinct per index.
  const n = String(1_000_000 + index)
  const kind = next()
  if (kind < 0.5) return pick(QUERIES, next)(n)
  const opening = pick(OPENINGS, next)(n)
  if (kind < 0.85) return `${opening} ${sentences(2 + Math.floor(next() * 5), next)}`
  return `${opening} ${sentences(9 + Math.floor(next() * 12), next)}`
}

/**
 * Where each use of the stream starts, so the node never sees a text twice in one run: each
 * round's load level gets its own million indices, the same for every contender (they all embed
 * the same texts in a round); up to 16 levels and 50 rounds.
 */
export const STREAM = {
  cell: (round: number, levelIndex: number) => 100_000_000 + (round * 16 + levelIndex) * 1_000_000,
  warmup: 50_000_000,
  probe: 60_000_000,
  ceiling: 70_000_000,
} as const
