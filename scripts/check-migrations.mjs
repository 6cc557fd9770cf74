// Migrations are history: once one has landed it is never edited. migrations.lock records the SHA-256
// of each file; a new migration is added to it in the same commit, an edit to a landed one fails here.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = 'src/db/migrations';
const lockFile = `${dir}/migrations.lock`;
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.sql'))
  .sort();
const actual = Object.fromEntries(
  files.map((name) => [
    name,
    createHash('sha256')
      .update(readFileSync(`${dir}/${name}`))
      .digest('hex'),
  ]),
);

if (process.argv.includes('--record')) {
  const locked = JSON.parse(readFileSync(lockFile, 'utf8').trim() || '{}');
  for (const [name, sum] of Object.entries(actual)) if (!(name in locked)) locked[name] = sum;
  writeFileSync(lockFile, JSON.stringify(locked, null, 2) + '\n');
  console.log(`recorded ${Object.keys(locked).length} migrations in ${lockFile}`);
  process.exit(0);
}

const locked = JSON.parse(readFileSync(lockFile, 'utf8'));
const problems = [];
for (const [name, sum] of Object.entries(locked)) {
  if (!(name in actual)) problems.push(`${name} is in migrations.lock but the file is gone`);
  else if (actual[name] !== sum) problems.push(`${name} was edited after it landed; add a new migration instead`);
}
for (const name of Object.keys(actual))
  if (!(name in locked)) problems.push(`${name} is new: run \`node scripts/check-migrations.mjs --record\` and commit migrations.lock`);
if (problems.length) {
  for (const problem of problems) console.error(`migrations: ${problem}`);
  process.exit(1);
}
console.log(`migrations: ${files.length} file(s) match migrations.lock`);
