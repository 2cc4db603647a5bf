/**
 * The benchmarks' tables, as GFM markdown (markdown-table) padded into columns: they read as a
 * table in a terminal, and a printed table pastes into docs/performance.md as it is. A column
 * of figures is right-aligned, a column of names left-aligned.
 */
import { markdownTable } from 'markdown-table'

/** What a figure's cell says when there is no figure (not measured, or nothing to measure). */
export const MISSING = 'n/a'

/** A cell: text as printed, a number as `String` prints it, null or undefined for an empty cell. */
export type Cell = string | number | null | undefined

/**
 * Each column's header and how to get its cell from a row, in the order printed; a column set
 * to false is left out. Headers are text: an integer-like header ('64') would move first, as
 * JavaScript orders such keys.
 */
export type Columns<Row> = Record<string, ((row: Row) => Cell) | false>

/** Starts like a figure: 12, -0.5, ×2.9, 1.81 (1.75–2.01), 64%, 7.23 = 3.33 + … */
const FIGURE = /^[-+×]?\.?\d/

/**
 * The table as lines of text, with a blank line before and after it, as markdown needs to tell
 * it from the text around it. E.g.
 * `table(rows, { row: (r) => r.name, 'p50 ms': (r) => fixed(r.p50, 2) })`.
 */
export function table<Row>(rows: readonly Row[], columns: Columns<Row>): string {
  const shown = Object.entries(columns).filter(
    (column): column is [string, (row: Row) => Cell] => column[1] !== false,
  )
  const text = rows.map((row) => shown.map(([, cellOf]) => String(cellOf(row) ?? '')))
  const align = shown.map((_, column) =>
    text.every(({ [column]: cell }) => cell === '' || cell === MISSING || FIGURE.test(cell))
      ? 'r'
      : '',
  )
  return `\n${markdownTable([shown.map(([header]) => header), ...text], { align })}\n`
}

/** `value` with `digits` decimals, or n/a when it is missing or not finite. */
export function fixed(value: number | null | undefined, digits: number): string {
  return Number.isFinite(value) ? value!.toFixed(digits) : MISSING
}

/** A share (0–1) as a whole percentage, e.g. `percent(0.912)` is '91%'; n/a when missing. */
export function percent(share: number | null | undefined): string {
  return Number.isFinite(share) ? `${fixed(100 * share!, 0)}%` : MISSING
}
