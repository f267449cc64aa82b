/**
 * For tests of pages that draw charts: recharts' ResponsiveContainer watches its size, and jsdom has
 * no ResizeObserver. Call it in a beforeAll.
 */
export function stubResizeObserver(): void {
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  } as unknown as typeof ResizeObserver;
}
