// What the handlers' own JWT check costs alone: aws-jwt-verify's verifier, created as identity.ts does.
import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';

export const verifier = JwtVerifier.create({ issuer: 'https://issuer.example', audience: 'bench' });
