/** Renders rows of [field, value] as an aligned two-column table for people. */
export function renderTable(rows: ReadonlyArray<{ field: string; value: unknown }>): string {
  const width = Math.max(0, ...rows.map((r) => r.field.length));
  return rows.map((r) => `${r.field.padEnd(width)}  ${formatValue(r.value)}`).join('\n');
}

function formatValue(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v === undefined || v === null) return '-';
  return JSON.stringify(v);
}
