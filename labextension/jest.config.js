// Jest for the DOM-free parts (protocol, model, channel, op handlers), through ts-jest.
// @jupyter/ydoc, yjs and lib0 ship ES modules: transform them to CommonJS too.
const esm = ['@jupyter/ydoc', 'yjs', 'lib0', '@lumino'].join('|');

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  setupFiles: ['<rootDir>/src/__tests__/setup.js'],
  testRegex: 'src/__tests__/.*\\.spec\\.ts$',
  transform: {
    '^.+\\.(t|j)sx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json', isolatedModules: true }]
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esm})/)`],
  moduleNameMapper: {
    '^yjs$': '<rootDir>/node_modules/yjs/dist/yjs.cjs',
    // DOM packages the cards import but the pure tests never call
    '^@jupyterlab/(rendermime|apputils)$': '<rootDir>/src/__tests__/stubs/jupyterlab.js'
  }
};
