// What a user may do next with a record, read from the lifecycle the API
// enforces (graph/itsm/rules.go). The console offers these; the API still
// decides, and a refusal is shown as its error.

export type ChangeType = 'STANDARD' | 'NORMAL' | 'EMERGENCY';
export type ChangeState = 'REQUESTED' | 'ASSESSED' | 'APPROVED' | 'REJECTED' | 'SCHEDULED' | 'IMPLEMENTING' | 'REVIEW' | 'CLOSED';

export type ChangeAction = 'ASSESS' | 'DECIDE' | 'SCHEDULE' | 'IMPLEMENT' | 'REVIEW' | 'CLOSE';

/** The lifecycle in order, for the progress strip. */
export const CHANGE_FLOW: ChangeState[] = ['REQUESTED', 'ASSESSED', 'APPROVED', 'SCHEDULED', 'IMPLEMENTING', 'REVIEW', 'CLOSED'];

export function changeActions(type: ChangeType, state: ChangeState): ChangeAction[] {
  const out: ChangeAction[] = [];
  switch (state) {
    case 'REQUESTED':
      out.push('ASSESS');
      if (type === 'EMERGENCY') out.push('DECIDE');
      if (type === 'STANDARD') out.push('SCHEDULE');
      break;
    case 'ASSESSED':
      if (type === 'STANDARD') out.push('SCHEDULE');
      else out.push('DECIDE');
      break;
    case 'APPROVED':
      out.push('SCHEDULE');
      break;
    case 'SCHEDULED':
      out.push('IMPLEMENT');
      break;
    case 'IMPLEMENTING':
      out.push('REVIEW');
      break;
    case 'REVIEW':
      out.push('CLOSE');
      break;
    default:
      break;
  }
  return out;
}

/** A change still to happen or happening: it can collide with others. */
export function isLiveChange(state: string): boolean {
  return state !== 'CLOSED' && state !== 'REJECTED' && state !== 'CANCELLED';
}

export type IncidentState = 'NEW' | 'IN_PROGRESS' | 'ON_HOLD' | 'RESOLVED' | 'CLOSED';

const incidentMoves: Record<IncidentState, IncidentState[]> = {
  NEW: ['IN_PROGRESS'],
  IN_PROGRESS: ['ON_HOLD', 'RESOLVED'],
  ON_HOLD: ['IN_PROGRESS', 'RESOLVED'],
  RESOLVED: ['CLOSED', 'IN_PROGRESS'],
  CLOSED: [],
};

export function nextIncidentStates(state: IncidentState): IncidentState[] {
  return incidentMoves[state] ?? [];
}

/** The button label for moving an incident to a state, from where it is. */
export function incidentMoveLabel(from: IncidentState, to: IncidentState): string {
  if (to === 'IN_PROGRESS') return from === 'NEW' ? 'Start work' : from === 'RESOLVED' ? 'Reopen' : 'Resume';
  if (to === 'ON_HOLD') return 'Put on hold';
  if (to === 'RESOLVED') return 'Resolve';
  return 'Close';
}

const priorityRank: Record<string, number> = { P1: 1, P2: 2, P3: 3, P4: 4 };

export function priorityOrder(p: string): number {
  return priorityRank[p] ?? 9;
}

export type ProblemState = 'NEW' | 'INVESTIGATING' | 'KNOWN_ERROR' | 'RESOLVED' | 'CLOSED';

/** The problem lifecycle in order, for the progress strip. */
export const PROBLEM_FLOW: ProblemState[] = ['NEW', 'INVESTIGATING', 'KNOWN_ERROR', 'RESOLVED', 'CLOSED'];

const problemMoves: Record<ProblemState, ProblemState[]> = {
  NEW: ['INVESTIGATING'],
  INVESTIGATING: ['KNOWN_ERROR', 'RESOLVED'],
  KNOWN_ERROR: ['RESOLVED'],
  RESOLVED: ['CLOSED', 'INVESTIGATING'],
  CLOSED: [],
};

export function nextProblemStates(state: ProblemState): ProblemState[] {
  return problemMoves[state] ?? [];
}

/** The button label for moving a problem to a state, from where it is. */
export function problemMoveLabel(from: ProblemState, to: ProblemState): string {
  if (to === 'INVESTIGATING') return from === 'RESOLVED' ? 'Reopen' : 'Start investigating';
  if (to === 'KNOWN_ERROR') return 'Record as known error';
  if (to === 'RESOLVED') return 'Resolve';
  return 'Close';
}
