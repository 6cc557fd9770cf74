import type { ReplicationReadiness } from '../config.js';
import type { Replication } from '../db/engine.js';

/**
 * Why this node is not ready over replication, or null when it is. Only with PACTUM_REQUIRE_STANDBY=true:
 * then a primary whose writes no standby holds, or holds too late, is not ready (failing over to it would
 * lose them). A state the service's login may not read cannot show a standby, so it is not ready either:
 * deny by default, and the reason names the grant that fixes it.
 */
export function replicationUnreadiness(replication: Replication | null, policy: ReplicationReadiness): string | null {
  if (!policy.requireStandby) return null;
  if (replication === null) return 'replication state not readable by the service role (GRANT pg_monitor TO pactum_app)';
  if (replication.standbys === 0) return 'no standby is streaming';
  const lag = replication.maxLagSeconds ?? 0;
  if (lag > policy.maxLagSeconds) return `standby replay lag ${lag} s exceeds PACTUM_MAX_REPLICATION_LAG_SECONDS=${policy.maxLagSeconds}`;
  return null;
}
