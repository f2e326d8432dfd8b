// Floor of a dashboard function that only reads or writes metadata: the DynamoDB client and the JWT
// verifier every dashboard handler runs (aws-jwt-verify, required like the SDK), constructed as they are.
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { createDynamoClient } from '../../shared/adapters/clients.js';

export const floor = [
  createDynamoClient(),
  JwtVerifier.create({ issuer: 'https://issuer.example', audience: 'bench' }),
];
