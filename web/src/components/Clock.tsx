import type { IncidentRowFragment } from '../gql/graphql';
import { formatMinutes, formatTime } from '../lib/format';

type Clock = NonNullable<IncidentRowFragment['sla']['response']>;

/** An SLA clock: due time, time left (or how long ago it was breached), stopped or paused. */
export function SLAClockView({ clock, label }: { clock: Clock | null | undefined; label: string }) {
  if (!clock) return <span className="muted">no target</span>;
  const state = clock.stopped ? (clock.breached ? 'met late' : 'met') : clock.breached ? 'BREACHED' : clock.paused ? 'paused' : 'running';
  return (
    <span className={clock.breached && !clock.stopped ? 'clock-breached' : undefined} title={`${label} under ${clock.sla.name}: target ${formatMinutes(clock.targetMinutes)}`}>
      {clock.stopped ? state : clock.breached ? `BREACHED ${formatMinutes(-clock.remainingMinutes)} ago` : `${formatMinutes(clock.remainingMinutes)} left`}
      {!clock.stopped && clock.paused && ' (paused)'}
      <br />
      <span className="muted small">due {formatTime(clock.due)}</span>
    </span>
  );
}
