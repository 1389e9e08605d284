// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'examples/**/*.py', 'build/', 'out/', '**/*.cjs', '.venv-torch/', '.venv-tf/', '.venv-onnx/', '.cache/', '.venv-bench/', '.tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'prefer-const': 'error',
    },
  },
  {
    // The browser examples' page scripts and the WebGPU bench's page script.
    files: ['examples/wasm-page/app.js', 'examples/webgpu-page/app.js', 'bench/webgpu-browser.js', 'test/support/webgpu-run-in-page.js'],
    languageOptions: {
      globals: { document: 'readonly', fetch: 'readonly', performance: 'readonly', OffscreenCanvas: 'readonly', URLSearchParams: 'readonly', location: 'readonly', Option: 'readonly', navigator: 'readonly', setTimeout: 'readonly' },
    },
  },
);
