import { describe, expect, it, vi } from 'vitest'
import { connectChartFrames } from './connect-chart-frames.js'

interface Posted {
  message: unknown
  targetOrigin: string
}

function fakePage(src = 'http://dunlin.test:7181/endpoints/p/charts/c1?token=old') {
  const posted: Posted[] = []
  const frameWindow = {
    postMessage: (message: unknown, targetOrigin: string) => posted.push({ message, targetOrigin }),
  }
  const frame = { src, contentWindow: frameWindow }
  const target = new EventTarget()
  const win = Object.assign(target, {
    document: { querySelectorAll: () => [frame] },
    location: { href: 'http://app.test/' },
  }) as unknown as Window
  const send = (data: unknown, origin: string, source: unknown = frameWindow): void => {
    target.dispatchEvent(Object.assign(new Event('message'), { data, origin, source }))
  }
  return { win, posted, send, frame }
}

const flush = (): Promise<void> => new Promise((r) => setTimeout(r, 0))

describe('connectChartFrames', () => {
  it("answers a frame's expiry message with a token, to that frame and Dunlin's origin only", async () => {
    const page = fakePage()
    const getToken = vi.fn(() => Promise.resolve('fresh'))
    const stop = connectChartFrames({ getToken, window: page.win })
    page.send({ type: 'dunlin:token-expired', chartId: 'c1', pipe: 'p' }, 'http://dunlin.test:7181')
    await flush()
    expect(getToken).toHaveBeenCalledWith({ chartId: 'c1', pipe: 'p', frame: page.frame })
    expect(page.posted).toEqual([
      {
        message: { type: 'dunlin:token', token: 'fresh', chartId: 'c1' },
        targetOrigin: 'http://dunlin.test:7181',
      },
    ])
    stop()
    page.send({ type: 'dunlin:token-expired', chartId: 'c1' }, 'http://dunlin.test:7181')
    await flush()
    expect(getToken).toHaveBeenCalledTimes(1)
  })

  it('ignores other origins, other windows and other messages', async () => {
    const page = fakePage()
    const getToken = vi.fn(() => 'fresh')
    connectChartFrames({ getToken, window: page.win })
    page.send({ type: 'dunlin:token-expired', chartId: 'c1' }, 'http://evil.test')
    page.send({ type: 'dunlin:token-expired', chartId: 'c1' }, 'http://dunlin.test:7181', {})
    page.send({ type: 'other', chartId: 'c1' }, 'http://dunlin.test:7181')
    page.send('dunlin:token-expired', 'http://dunlin.test:7181')
    await flush()
    expect(getToken).not.toHaveBeenCalled()
    expect(page.posted).toEqual([])
  })

  it('uses the configured origin and reports getToken failures', async () => {
    const page = fakePage()
    const onError = vi.fn()
    connectChartFrames({
      getToken: () => Promise.reject(new Error('down')),
      origin: 'http://elsewhere.test',
      onError,
      window: page.win,
    })
    page.send({ type: 'dunlin:token-expired', chartId: 'c1' }, 'http://dunlin.test:7181')
    await flush()
    expect(onError).not.toHaveBeenCalled()
    page.send({ type: 'dunlin:token-expired', chartId: 'c1' }, 'http://elsewhere.test')
    await flush()
    expect(onError).toHaveBeenCalledTimes(1)
    expect(page.posted).toEqual([])
  })
})
