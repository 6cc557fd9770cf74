import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVendor, createContract } from '../holdings/vault-fixtures.js';
import { addMember, createGroup } from '../helpers/members.js';
import { Client, login, registerCompany, startTestApp, STRONG_PASSWORD, uniqueMobile, type TestApp } from '../helpers/test-app.js';
import { engineName } from '../helpers/test-database.js';
import {
  acceptInvite,
  ageAuthentication,
  expectIntactChain,
  invite,
  orphanedContracts,
  ownerContract,
  ownerVendor,
  stepUp,
  storedEvents,
} from './helpers.js';

describe(`revocation (${engineName})`, () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  const revoke = (client: Client, userId: string, body: Record<string, unknown> = {}) =>
    client.post(`/api/v1/users/${userId}/revoke`, body);

  it('takes effect at once: every session of the user is refused on its next request, and they cannot sign in', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const second = await login(t, member);
    expect((await member.client.get('/api/v1/me')).statusCode).toBe(200);

    const response = await revoke(company.client, member.userId);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      user: expect.objectContaining({ id: member.userId, status: 'revoked' }),
      handedOver: { contracts: 0 },
    });
    for (const client of [member.client, second]) {
      const next = await client.get('/api/v1/me');
      expect(next.statusCode).toBe(401);
      expect(next.json().code).toBe('unauthenticated');
    }
    const again = await new Client(t).post('/api/v1/auth/login', { email: member.email, password: STRONG_PASSWORD });
    expect(again.statusCode).toBe(401);
    const sessions = await t.db.asOwner<{ ended_reason: string }>('SELECT ended_reason FROM sessions WHERE user_id = $1', [member.userId]);
    expect(sessions.map((row) => row.ended_reason)).toEqual(['revoked', 'revoked']);
    const [user] = await t.db.asOwner<{ status: string; revoked_at: Date | null }>('SELECT status, revoked_at FROM users WHERE id = $1', [
      member.userId,
    ]);
    expect(user!.status).toBe('revoked');
    expect(user!.revoked_at).not.toBeNull();
    // Revoked users stay listed (their names are on past changes), as revoked.
    const { items } = (await company.client.get('/api/v1/users?status=revoked')).json();
    expect(items.map((item: { id: string }) => item.id)).toEqual([member.userId]);
  });

  it('ends pending codes, password-reset links and invitations in the same transaction', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const pendingLogin = await new Client(t).post('/api/v1/auth/login', { email: member.email, password: STRONG_PASSWORD });
    expect(pendingLogin.statusCode).toBe(200);
    expect((await new Client(t).post('/api/v1/auth/password-reset', { email: member.email })).statusCode).toBe(202);
    const invited = await invite(company.client);

    expect((await revoke(company.client, member.userId)).statusCode).toBe(200);
    expect((await revoke(company.client, invited.userId)).statusCode).toBe(200);

    const [challenge] = await t.db.asOwner<{ consumed_at: Date | null }>('SELECT consumed_at FROM otp_challenges WHERE id = $1', [
      pendingLogin.json().challenge.id,
    ]);
    expect(challenge!.consumed_at).not.toBeNull();
    const verify = await new Client(t).post(`/api/v1/auth/challenges/${pendingLogin.json().challenge.id}/verify`, {
      code: t.twilio.lastCodeFor(member.phone),
    });
    expect(verify.statusCode).toBe(410);
    const [resets] = await t.db.asOwner<{ open: string }>(
      'SELECT count(*) FILTER (WHERE used_at IS NULL)::text AS open FROM password_resets WHERE user_id = $1',
      [member.userId],
    );
    expect(resets!.open).toBe('0');
    const accept = await new Client(t).post(`/api/v1/invitations/${invited.token}/accept`, {
      password: STRONG_PASSWORD,
      phone: uniqueMobile(),
    });
    expect(accept.statusCode).toBe(410);
    expect(accept.json().code).toBe('invitation_expired');
    const [invitation] = await t.db.asOwner<{ ended_at: Date | null }>('SELECT ended_at FROM invitations WHERE user_id = $1', [
      invited.userId,
    ]);
    expect(invitation!.ended_at).not.toBeNull();
    expect((await revoke(company.client, member.userId)).json().code).toBe('invalid_transition');
  });

  it('refuses to revoke the last active master (409 last_master), and lets a master go once another exists', async () => {
    const company = await registerCompany(t);
    const self = await revoke(company.client, company.userId);
    expect(self.statusCode).toBe(409);
    expect(self.json().code).toBe('last_master');
    const other = await addMember(t, company, { role: 'master' });
    const response = await revoke(other.client, company.userId);
    expect(response.statusCode, response.body).toBe(200);
    expect((await company.client.get('/api/v1/me')).statusCode).toBe(401);
    const last = await revoke(other.client, other.userId);
    expect(last.json().code).toBe('last_master');
  });

  it('needs a recent authentication', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    await ageAuthentication(t, company.userId);
    const stale = await revoke(company.client, member.userId);
    expect(stale.statusCode).toBe(403);
    expect(stale.json().code).toBe('reauthentication_required');
    expect((await member.client.get('/api/v1/me')).statusCode).toBe(200);
    await stepUp(t, company.client, company.phone);
    expect((await revoke(company.client, member.userId)).statusCode).toBe(200);
  });

  it('refuses with handover_required for managed contracts and for restricted ones only the user can see', async () => {
    const company = await registerCompany(t, { companyName: 'Handover AG' });
    const leaving = await addMember(t, company, { name: 'Leaving Member' });
    const staying = await addMember(t, company, { name: 'Staying Member' });
    const vendorId = await createVendor(company.client, 'Oracle');
    // Managed by the leaving user, visible to all.
    const managed = await createContract(company.client, { vendorId, title: 'Database licences', managerId: leaving.userId });
    // Restricted to a group of the leaving user alone, managed by the master (who cannot see it).
    const secretGroup = await createGroup(t, company.tenantId, 'Legal', [leaving.userId]);
    const secret = await ownerContract(t, company.tenantId, {
      vendorId: await ownerVendor(t, company.tenantId, 'Counsel'),
      title: 'Settlement',
      managerId: company.userId,
      groupIds: [secretGroup],
    });
    // Not affected: restricted, but seen by someone else too; managed by someone else; archived.
    const sharedGroup = await createGroup(t, company.tenantId, 'Shared', [leaving.userId, staying.userId]);
    await createContract(staying.client, { vendorId, title: 'Shared support', groupIds: [sharedGroup] });
    await createContract(company.client, { vendorId, title: 'Master-managed', managerId: staying.userId });
    await ownerContract(t, company.tenantId, { vendorId, title: 'Old and archived', managerId: leaving.userId, archived: true });
    expect((await company.client.get(`/api/v1/contracts/${secret}`)).statusCode).toBe(404);

    const refused = await revoke(company.client, leaving.userId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({
      code: 'handover_required',
      contractCount: 2,
      // The restricted one is outside the master's groups: counted, never named (finding 1).
      contracts: [{ id: managed, title: 'Database licences', managed: true }],
      hiddenContractCount: 1,
    });
    // Nothing happened.
    expect((await leaving.client.get('/api/v1/me')).statusCode).toBe(200);

    const badSuccessors = [leaving.userId, '00000000-0000-4000-8000-000000000000', (await invite(company.client)).userId];
    for (const successorId of badSuccessors) {
      const response = await revoke(company.client, leaving.userId, { successorId });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json().code).toBe('validation_failed');
    }

    const handed = await revoke(company.client, leaving.userId, { successorId: staying.userId });
    expect(handed.statusCode, handed.body).toBe(200);
    expect(handed.json().handedOver).toEqual({ contracts: 2 });
    expect((await leaving.client.get('/api/v1/me')).statusCode).toBe(401);

    // The successor manages the managed contract and now sees the restricted one, through its group.
    const managedNow = await staying.client.get(`/api/v1/contracts/${managed}`);
    expect(managedNow.json().managerId).toBe(staying.userId);
    const secretNow = await staying.client.get(`/api/v1/contracts/${secret}`);
    expect(secretNow.statusCode, secretNow.body).toBe(200);
    const members = await t.db.asOwner<{ user_id: string }>(
      'SELECT user_id FROM access_group_members WHERE group_id = $1 ORDER BY user_id',
      [secretGroup],
    );
    expect(members.map((row) => row.user_id).sort()).toEqual([leaving.userId, staying.userId].sort());
    expect(await orphanedContracts(t, company.tenantId)).toEqual([]);

    const events = await storedEvents(t, company.tenantId);
    const handover = events.find((event) => event.action === 'user.contracts_handed_over');
    expect(handover).toMatchObject({
      actor_id: company.userId,
      target_id: leaving.userId,
      details: { successorId: staying.userId, contracts: 2, managed: 1 },
    });
    const revoked = events.find((event) => event.action === 'user.revoked' && event.target_id === leaving.userId);
    expect(revoked).toMatchObject({
      actor_id: company.userId,
      details: expect.objectContaining({ handedOver: 2, sessionsEnded: 1, successorId: staying.userId }),
    });
    await expectIntactChain(t, company.tenantId);
  });

  it('hands over as sole manager, as sole group member and as master in one go, leaving nothing orphaned', async () => {
    const company = await registerCompany(t);
    const departing = await addMember(t, company, { role: 'master', name: 'Departing Master' });
    const successor = await acceptInvite(t, await invite(company.client, { name: 'Successor' }));
    const vendorId = await createVendor(company.client, 'SAP');
    const groupId = await createGroup(t, company.tenantId, 'Board', [departing.userId]);
    const restrictedManaged = await createContract(departing.client, { vendorId, title: 'Board software', groupIds: [groupId] });
    const plain = await createContract(departing.client, { vendorId, title: 'ERP' });
    expect((await successor.client.get(`/api/v1/contracts/${restrictedManaged}`)).statusCode).toBe(404);

    const response = await revoke(company.client, departing.userId, { successorId: successor.userId });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().handedOver.contracts).toBe(2);
    for (const id of [restrictedManaged, plain]) {
      const seen = await successor.client.get(`/api/v1/contracts/${id}`);
      expect(seen.statusCode).toBe(200);
      expect(seen.json().managerId).toBe(successor.userId);
    }
    expect(await orphanedContracts(t, company.tenantId)).toEqual([]);
  });

  it('is not blocked by a restricted contract the departing user could not see anyway', async () => {
    const company = await registerCompany(t);
    const leaving = await addMember(t, company);
    const vendorId = await ownerVendor(t, company.tenantId, 'Orphan Soft');
    // A restricted contract whose only group has no active member (already orphaned, not by this user).
    const emptyGroup = await createGroup(t, company.tenantId, 'Nobody here', []);
    await ownerContract(t, company.tenantId, { vendorId, title: 'Forgotten deal', managerId: company.userId, groupIds: [emptyGroup] });
    const response = await revoke(company.client, leaving.userId);
    expect(response.statusCode, response.body).toBe(200);
  });

  it("gives a successor one of the departing user's groups per contract, not every group of it", async () => {
    const company = await registerCompany(t);
    const leaving = await addMember(t, company);
    const successor = await addMember(t, company);
    const vendorId = await ownerVendor(t, company.tenantId, 'Two Group Soft');
    const theirs = await createGroup(t, company.tenantId, 'Legal', [leaving.userId]);
    const other = await createGroup(t, company.tenantId, 'Board', []);
    await ownerContract(t, company.tenantId, { vendorId, title: 'Shared secret', managerId: company.userId, groupIds: [theirs, other] });
    const response = await revoke(company.client, leaving.userId, { successorId: successor.userId });
    expect(response.statusCode, response.body).toBe(200);
    const groups = await t.db.asOwner<{ group_id: string }>('SELECT group_id FROM access_group_members WHERE user_id = $1', [
      successor.userId,
    ]);
    expect(groups.map((row) => row.group_id)).toEqual([theirs]);
  });

  it('refuses an id of another company with 404 and changes nothing there', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const stranger = await registerCompany(t);
    const response = await revoke(stranger.client, member.userId);
    expect(response.statusCode).toBe(404);
    expect((await member.client.get('/api/v1/me')).statusCode).toBe(200);
  });

  it('accepts a revoke without a body', async () => {
    const company = await registerCompany(t);
    const member = await addMember(t, company);
    const response = await company.client.request({ method: 'POST', url: `/api/v1/users/${member.userId}/revoke` });
    expect(response.statusCode, response.body).toBe(200);
  });
});
