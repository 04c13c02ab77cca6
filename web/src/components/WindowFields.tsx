// The planned window of a change: two datetime-local fields in the viewer's zone.
import { useId } from 'react';

export function WindowFields({ start, end, onStart, onEnd }: { start: string; end: string; onStart: (v: string) => void; onEnd: (v: string) => void }) {
  const id = useId();
  return (
    <div className="form-row">
      <div className="field">
        <label htmlFor={`${id}-start`}>Planned start</label>
        <input id={`${id}-start`} type="datetime-local" required value={start} onChange={(e) => onStart(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-end`}>Planned end</label>
        <input id={`${id}-end`} type="datetime-local" required value={end} onChange={(e) => onEnd(e.target.value)} />
      </div>
    </div>
  );
}
