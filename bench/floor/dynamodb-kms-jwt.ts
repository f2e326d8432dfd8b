// Floor of a dashboard function that seals or opens secrets: both SDK clients and the JWT verifier.
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import { createDynamoClient, createKmsClient } from '../../shared/adapters/clients.js';

export const floor = [
  createDynamoClient(),
  createKmsClient(),
  JwtVerifier.create({ issuer: 'https://issuer.example', audience: 'bench' }),
];
