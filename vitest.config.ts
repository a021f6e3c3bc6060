import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share fixed resources (ffmpeg children, CPU): running files one at a time keeps
    // timings meaningful on a 2-core machine and ports from colliding.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
