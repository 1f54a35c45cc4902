import type { ReactNode } from 'react'

export const metadata = { title: 'Dunlin · Next.js dashboard' }

const css = `
body { font: 14px system-ui, sans-serif; margin: 2rem; max-width: 48rem; }
.bar-row { display: grid; grid-template-columns: 8rem 1fr 5rem; gap: .5rem; align-items: center; margin: .25rem 0; }
.bar { display: block; height: 1rem; background: #3b82f6; border-radius: 2px; }
.error { color: #dc2626; }
`

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <style>{css}</style>
      </head>
      <body>{children}</body>
    </html>
  )
}
