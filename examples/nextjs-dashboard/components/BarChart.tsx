/** A dependency-free horizontal bar chart (the guide uses Tremor's `BarChart`; any chart works). */
export function BarChart({
  data,
  index,
  category,
}: {
  data: Record<string, unknown>[]
  index: string
  category: string
}) {
  const values = data.map((row) => Number(row[category]))
  const max = Math.max(1, ...values)
  return (
    <div className="bar-chart" role="img" aria-label={`${category} by ${index}`}>
      {data.map((row, i) => (
        <div
          className="bar-row"
          key={String(row[index])}
          data-label={String(row[index])}
          data-value={values[i]}
        >
          <span className="bar-label">{String(row[index])}</span>
          <span className="bar" style={{ width: `${(100 * (values[i] ?? 0)) / max}%` }} />
          <span className="bar-value">{values[i]}</span>
        </div>
      ))}
    </div>
  )
}
