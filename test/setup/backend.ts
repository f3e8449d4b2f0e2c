import { selectBackend } from '../../core/src/backend';

beforeAll(async () => {
  await selectBackend((process.env.ABSNAS_BACKEND as any) || 'wasm');
});
