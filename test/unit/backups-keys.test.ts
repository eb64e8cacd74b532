import { identityToRecipient } from 'age-encryption';
import { describe, expect, it } from 'vitest';
import { backupIdentity, backupRecipient } from '../../src/resources/backups/keys.js';

describe('backup keys', () => {
  it('derive one identity per add-on from the master key, whose recipient is what age computes', async () => {
    const id = backupIdentity('master-key-aaaaaaaa', 'shop');
    expect(id).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(backupRecipient('master-key-aaaaaaaa', 'shop')).toBe(await identityToRecipient(id));
    expect(backupIdentity('master-key-aaaaaaaa', 'shop')).toBe(id);
    expect(backupIdentity('master-key-aaaaaaaa', 'notes')).not.toBe(id);
    expect(backupIdentity('master-key-bbbbbbbb', 'shop')).not.toBe(id);
  });
});
