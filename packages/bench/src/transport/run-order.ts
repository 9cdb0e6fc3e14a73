/**
 * The order in which `count` subjects run in round `round`: a Williams design, so that over the
 * rounds every subject runs in every position equally often AND follows every other subject
 * equally often. A plain rotation balances positions only: each subject then always ran right
 * after the same one, and whatever a run leaves behind on the shared cores (its worker's pending
 * GC, the sink decoding its last export) always landed on the same neighbour's run.
 *
 * For an even count the `count` rows of the square are balanced; for an odd count the rows and
 * their reverses are (2 × `count` rounds). Rounds past the design start it again.
 */
export function runOrder(round: number, count: number): number[] {
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`subject count must be a positive integer (got ${count})`);
  if (!Number.isInteger(round) || round < 0)
    throw new RangeError(`round must be a non-negative integer (got ${round})`);
  // First row: 0, 1, n-1, 2, n-2, …; row r adds r to each (mod n).
  const first = [0];
  for (let low = 1, high = count - 1; first.length < count; ) first.push(first.length % 2 === 1 ? low++ : high--);
  const period = count % 2 === 0 ? count : 2 * count;
  const index = round % period;
  const row = first.map((subject) => (subject + (index % count)) % count);
  return index < count ? row : row.reverse();
}
