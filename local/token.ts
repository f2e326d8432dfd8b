import { parseArgs } from 'node:util';
import { localIssuer } from './dev-auth.js';

const usage = [
  'Usage: npm run token -- --account <account_id> --user <user> [--role admin|viewer] [--expires 12h]',
  '  --account   the account (tenant) the user belongs to',
  '  --user      the user id the token names',
  '  --role      admin (default) or viewer; repeat for both',
  '  --expires   how long the token is valid: 30m, 12h, 7d … (default 12h)',
].join('\n');

const { values } = parseArgs({
  options: {
    account: { type: 'string' },
    user: { type: 'string' },
    role: { type: 'string', multiple: true },
    expires: { type: 'string', default: '12h' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help || !values.account || !values.user) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
const roles = values.role?.length ? values.role : ['admin'];
for (const role of roles) {
  if (role !== 'admin' && role !== 'viewer') {
    console.error(`Unknown role "${role}". ${usage}`);
    process.exit(2);
  }
}
process.stdout.write(
  `${await (await localIssuer()).sign({ account: values.account, user: values.user, roles, expiresIn: values.expires })}\n`,
);
