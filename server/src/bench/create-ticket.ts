import type { RunningServer } from '../app';

type Post = (query: string, variables: object, token?: string) => Promise<any>;
type Mode = 'off' | 'on';

const CREATE_TICKET = `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;
const BLOCKS = 10;
/** Between the "alone" runs: the background loops woken by the fan-out's commit have settled. */
const IDLE_MS = 20;

/**
 * createTicket over HTTP with email notifications on (every staff member verified, with
 * notifyNewTickets: each new ticket queues one message per staff member) and off. The mutation only
 * writes its event row; the fan-out runs after the answer, in the event consumers' own transaction.
 * Three figures: the mutation alone (its fan-out done and the service idle before the next one), the
 * fan-out of one ticket, and back-to-back mutations, where the fan-out of one competes with the next
 * for the single SQLite connection and the event loop. Blocks alternate (off, on, off…) so drift falls on both.
 */
export async function benchCreateTicket(
  server: RunningServer,
  post: Post,
  reporterToken: string,
  runs: number,
): Promise<void> {
  const { database } = server.services;
  const setNotifications = (on: boolean) =>
    database.transaction((manager) =>
      manager.query(
        `UPDATE "user" SET "emailVerified" = 1, "notifyByEmail" = 1, "notifyNewTickets" = ? WHERE role IN ('AGENT', 'ADMIN')`,
        [on ? 1 : 0],
      ),
    );
  const countMessages = async () =>
    Number((await database.manager.query('SELECT COUNT(*) AS n FROM "outbox_message"'))[0].n);
  const [{ staff }] = await database.manager.query(
    `SELECT COUNT(*) AS staff FROM "user" WHERE role IN ('AGENT', 'ADMIN')`,
  );
  let created = 0;
  const createTicket = () =>
    post(
      CREATE_TICKET,
      {
        input: {
          projectId: '1',
          title: `Bench ticket ${(created += 1)}: the export stops`,
          description: 'The file is cut after a while.',
          category: 'BUG',
        },
      },
      reporterToken,
    );

  const empty = () => ({ off: [] as number[], on: [] as number[] });
  const alone = empty();
  const fanOut = empty();
  const backToBack = empty();
  const messages = { off: 0, on: 0 };
  const perBlock = Math.max(1, Math.round(runs / BLOCKS));
  await createTicket(); // warm-up
  for (let block = 0; block < BLOCKS * 2; block += 1) {
    const mode: Mode = block % 2 === 0 ? 'off' : 'on';
    await setNotifications(mode === 'on');
    await server.eventConsumers.runOnce();
    const before = await countMessages();
    for (let run = 0; run < perBlock; run += 1) {
      let started = performance.now();
      await createTicket();
      alone[mode].push(performance.now() - started);
      started = performance.now();
      await server.eventConsumers.runOnce();
      fanOut[mode].push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    }
    messages[mode] += (await countMessages()) - before;
    for (let run = 0; run < perBlock; run += 1) {
      const started = performance.now();
      await createTicket();
      backToBack[mode].push(performance.now() - started);
    }
    await server.eventConsumers.runOnce();
  }

  const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
  const p95 = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length * 0.95)];
  console.log(
    `\ncreateTicket over HTTP, notifications off and on (${staff} staff, verified, notifyNewTickets), ${alone.off.length} runs each:`,
  );
  const rows: [string, Record<Mode, number[]>][] = [
    ['the mutation alone', alone],
    ['its fan-out (after the answer)', fanOut],
    ['back to back (fan-out in between)', backToBack],
  ];
  for (const [label, times] of rows) {
    const figures = (['off', 'on'] as const).map(
      (mode) => `${mode} median ${median(times[mode]).toFixed(2)} ms, p95 ${p95(times[mode]).toFixed(2)} ms`,
    );
    const ratio = (median(times.on) / median(times.off)).toFixed(2);
    console.log(`  ${label.padEnd(34)} ${figures.join('   ')}   on/off ${ratio}`);
  }
  console.log(`  messages queued: off ${messages.off}, on ${messages.on} (the mutation-alone runs)`);
}
