import { randomUUID } from 'node:crypto';
import { hash, parseOptions, verify } from '@node-rs/argon2';
import type { Algorithm, Options, Version } from '@node-rs/argon2';
import { normalizePassword } from './password-rules.js';

// OWASP Password Storage Cheat Sheet / ASVS 6.2 minimum for argon2id:
// 19 MiB of memory, 2 passes, 1 lane.
export const passwordHashParameters = {
  algorithm: 'argon2id',
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

// @node-rs/argon2 declares Algorithm and Version as ambient const enums, which
// isolatedModules cannot inline (the runtime objects are empty), so we spell
// out their numeric values here.
const argon2idAlgorithm = 2 satisfies Algorithm.Argon2id;
const currentArgon2Version = 1 satisfies Version.V0x13;

const argon2Options: Options = {
  algorithm: argon2idAlgorithm,
  version: currentArgon2Version,
  memoryCost: passwordHashParameters.memoryCost,
  timeCost: passwordHashParameters.timeCost,
  parallelism: passwordHashParameters.parallelism,
};

export type PasswordVerification = { valid: boolean; needsRehash: boolean };

// One normalisation for hashing and for the rules (password-rules.ts), so both see the same password.
export { normalizePassword };

/** Returns a PHC string ($argon2id$v=19$m=19456,t=2,p=1$salt$hash). */
export async function hashPassword(password: string): Promise<string> {
  return hash(normalizePassword(password), argon2Options);
}

export async function verifyPassword(storedHash: string, password: string): Promise<PasswordVerification> {
  let valid: boolean;
  try {
    valid = await verify(storedHash, normalizePassword(password));
  } catch {
    // A corrupt or foreign hash in the database must look like a wrong
    // password to the caller, not crash the login route.
    return { valid: false, needsRehash: false };
  }
  return { valid, needsRehash: valid && hashUsesOutdatedParameters(storedHash) };
}

function hashUsesOutdatedParameters(storedHash: string): boolean {
  const used = parseOptions(storedHash);
  return (
    used.algorithm !== argon2Options.algorithm ||
    used.version !== argon2Options.version ||
    used.memoryCost !== argon2Options.memoryCost ||
    used.timeCost !== argon2Options.timeCost ||
    used.parallelism !== argon2Options.parallelism
  );
}

// Created on first use rather than at import so that starting the process
// (CLI commands, migrations) does not pay for an argon2 hash.
let dummyHash: Promise<string> | undefined;

function getDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomUUID()).catch((error: unknown) => {
    dummyHash = undefined;
    throw error;
  });
  return dummyHash;
}

/**
 * Spends the same argon2 work as a real verification when no account exists
 * for the e-mail, so the response time does not reveal which e-mail
 * addresses are registered.
 */
export async function verifyAgainstDummyHash(password: string): Promise<void> {
  await verifyPassword(await getDummyHash(), password);
}
