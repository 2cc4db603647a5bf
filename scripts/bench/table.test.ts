import { describe, expect, it } from 'vitest'
import { fixed, percent, table } from './table.ts'

describe('a benchmark table', () => {
  it('is a GFM table padded into columns, figures right-aligned and names left, columns set to false left out', () => {
    const rows = [
      { name: '(a) node', clients: 64, p50: '4.1 (3.9–4.4)', note: 'warm' },
      { name: '(d) ceiling', clients: null, p50: 'n/a', note: 'sorted by length' },
    ]
    expect(
      table(rows, {
        contender: (r) => r.name,
        clients: (r) => r.clients,
        'p50 ms': (r) => r.p50,
        note: (r) => r.note,
        'left out': false,
      }),
    ).toBe(
      [
        '',
        '| contender   | clients |        p50 ms | note             |',
        '| ----------- | ------: | ------------: | ---------------- |',
        '| (a) node    |      64 | 4.1 (3.9–4.4) | warm             |',
        '| (d) ceiling |         |           n/a | sorted by length |',
        '',
      ].join('\n'),
    )
  })

  it('says n/a for a figure that is missing or not finite', () => {
    expect(fixed(1.234, 2)).toBe('1.23')
    expect([fixed(null, 1), fixed(undefined, 1), fixed(NaN, 1)]).toEqual(['n/a', 'n/a', 'n/a'])
    expect([percent(0.912), percent(null), percent(Infinity)]).toEqual(['91%', 'n/a', 'n/a'])
  })
})
