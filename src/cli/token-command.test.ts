import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Command } from 'commander';
import { SCOPES } from '../core/auth.js';
import { register } from './token-command.js';

function newHelp(): string {
  const program = new Command('vigia');
  register(program);
  const token = program.commands.find((c) => c.name() === 'token')!;
  return token.commands.find((c) => c.name() === 'new')!.helpInformation();
}

test('vigia token new --help names every scope a token file accepts, and what ingest allows', () => {
  const help = newHelp().replace(/\s+/g, ' ');
  for (const scope of SCOPES) assert.match(help, new RegExp(`\\b${scope}\\b`), scope);
  assert.match(help, /ingest \(control plane: POST \/v2\/reports for any enrolled host/);
  assert.match(help, /implies nothing else/);
});
