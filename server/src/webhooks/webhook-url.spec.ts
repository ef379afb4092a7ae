import { checkWebhookUrl } from './webhook-url';

const problem = (raw: string, allowHosts: string[] = []) => checkWebhookUrl(raw, allowHosts).problem;

test.each([
  ['https://hooks.example.com/ticketing', 'https://hooks.example.com/ticketing'],
  ['  https://Hooks.Example.com:8443/x?y=1 ', 'https://hooks.example.com:8443/x?y=1'],
  ['https://93.184.216.34/hook', 'https://93.184.216.34/hook'],
  // A name is not resolved at registration: the check that matters is at each delivery.
  ['https://localhost/hook', 'https://localhost/hook'],
])('%s is accepted, as %s', (raw, href) => {
  expect(checkWebhookUrl(raw, []).url?.href).toBe(href);
});

test.each([
  ['not a url', 'format'],
  ['/relative/path', 'format'],
  ['ftp://hooks.example.com/', 'format'],
  ['javascript:alert(1)', 'format'],
  ['https://user:pass@hooks.example.com/', 'format'],
  ['http://hooks.example.com/', 'notAllowed'],
  ['https://10.0.0.1/', 'notAllowed'],
  ['https://127.0.0.1/', 'notAllowed'],
  ['https://0x7f000001/', 'notAllowed'],
  ['https://169.254.169.254/latest/meta-data', 'notAllowed'],
  ['https://[::1]/', 'notAllowed'],
  ['https://[::ffff:127.0.0.1]/', 'notAllowed'],
  ['https://[fc00::1]/', 'notAllowed'],
  ['https://0.0.0.0/', 'notAllowed'],
  [`https://hooks.example.com/${'x'.repeat(2048)}`, 'length'],
  // 1,026 characters as typed, 6,026 once encoded as stored (PostgreSQL's varchar(2048) refused it).
  [`https://hooks.example.com/${'é'.repeat(1000)}`, 'length'],
])('%s is refused (%s)', (raw, rule) => {
  expect(problem(raw)?.rule).toBe(rule);
});

test('hosts in WEBHOOK_ALLOW_HOSTS may be private and plain http', () => {
  expect(problem('http://127.0.0.1:8080/hook', ['127.0.0.1'])).toBeUndefined();
  expect(problem('http://hooks.internal/hook', ['hooks.internal'])).toBeUndefined();
  expect(problem('https://[::1]/', ['::1'])).toBeUndefined();
  // Only the hosts listed: another private address is still refused.
  expect(problem('https://10.0.0.1/', ['127.0.0.1'])?.rule).toBe('notAllowed');
  expect(problem('http://example.com/', ['127.0.0.1'])?.rule).toBe('notAllowed');
});

test('the messages say what to do', () => {
  expect(problem('http://hooks.example.com/')?.message).toBe(
    'url must use https; plain http is only for hosts listed in WEBHOOK_ALLOW_HOSTS.',
  );
  expect(problem('https://10.0.0.1/')?.message).toBe(
    'url points to 10.0.0.1, which is not a public address; only hosts listed in WEBHOOK_ALLOW_HOSTS may be private.',
  );
});
