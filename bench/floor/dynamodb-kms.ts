// SDK floor for functions that also call KMS: both clients, constructed as the functions construct them.
import { createDynamoClient, createKmsClient } from '../../shared/adapters/clients.js';

export const clients = [createDynamoClient(), createKmsClient()];
