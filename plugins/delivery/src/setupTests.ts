import '@testing-library/jest-dom';

// recharts' ResponsiveContainer observes its size; jsdom has no layout.
if (!('ResizeObserver' in globalThis)) {
  (globalThis as any).ResizeObserver = class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
}
