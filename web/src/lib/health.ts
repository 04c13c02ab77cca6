// A service's status as the home page shows it.
export type ServiceStatus = 'DOWN' | 'DEGRADED' | 'OK';

/**
 * A service an open incident names is treated as failed (the blast radius
 * analysis takes its sources as down); otherwise it takes the effect that
 * reaches it from the incidents' CIs, or is OK.
 */
export function serviceStatus(namedByIncident: boolean, effect: string | undefined): ServiceStatus {
  if (namedByIncident || effect === 'DOWN') return 'DOWN';
  if (effect === 'DEGRADED') return 'DEGRADED';
  return 'OK';
}

export function statusRank(s: ServiceStatus): number {
  return s === 'DOWN' ? 0 : s === 'DEGRADED' ? 1 : 2;
}
