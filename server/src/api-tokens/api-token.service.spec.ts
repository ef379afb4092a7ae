import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SessionPrincipal } from '../auth/principal';
import { systemClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { userServiceFor } from '../../test/support/user-service';
import { TokenScope } from './api-token.entity';
import { ApiTokenService, MAX_TOKENS_PER_USER } from './api-token.service';

let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'api-token-service-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
});

afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('one token past the most a person may hold is refused with its own rule, limitReached', async () => {
  const user = await userServiceFor(database).register({
    username: 'collector',
    email: 'collector@example.com',
    password: 'purple elephants dance',
  });
  // The session as signed in: create re-reads the account and compares its session version.
  const session = {
    kind: 'session',
    user,
    scope: TokenScope.WRITE,
    claims: { sv: user.sessionVersion },
  } as SessionPrincipal;
  const tokens = new ApiTokenService(database, systemClock);
  for (let n = 0; n < MAX_TOKENS_PER_USER; n += 1) {
    await tokens.create(session, { name: `Script ${n}`, scope: TokenScope.READ });
  }
  const refused = tokens.create(session, { name: 'One more', scope: TokenScope.READ });
  await expect(refused).rejects.toMatchObject({
    extensions: {
      code: 'BAD_USER_INPUT',
      invalidFields: [{ field: 'name', rule: 'limitReached', message: expect.stringMatching(/revoke one/) }],
    },
  });
  expect(await tokens.list(user)).toHaveLength(MAX_TOKENS_PER_USER);
});
