// SDK floor: a bundle that only constructs the DynamoDB client the functions use, bundled the same way.
import { createDynamoClient } from '../../shared/adapters/clients.js';

export const client = createDynamoClient();
