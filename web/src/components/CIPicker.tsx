// Find a CI by typing part of its name: an ARIA combobox over the cis
// search, arrow keys to move, Enter to pick, Escape to close.
import { useEffect, useId, useState } from 'react';
import { useQuery } from '../api/hooks';
import { SearchCIsQuery } from '../api/operations';

export interface PickedCI {
  id: string;
  name: string;
  class: string;
}

export function CIPicker({ label, onPick, exclude = [] }: { label: string; onPick: (ci: PickedCI) => void; exclude?: string[] }) {
  const id = useId();
  const [text, setText] = useState('');
  const [term, setTerm] = useState('');
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  useEffect(() => {
    const t = setTimeout(() => setTerm(text.trim()), 150);
    return () => clearTimeout(t);
  }, [text]);
  const q = useQuery(SearchCIsQuery, { search: term, first: 12 }, { skip: term === '' });
  const options = (q.data?.cis.edges ?? []).map((e) => e.node).filter((c) => !exclude.includes(c.id));
  const shown = open && term !== '' && text.trim() !== '';

  const pick = (i: number) => {
    const ci = options[i];
    if (!ci) return;
    onPick({ id: ci.id, name: ci.name, class: ci.class });
    setText('');
    setTerm('');
    setOpen(false);
  };

  return (
    <div className="picker">
      <label htmlFor={`${id}-input`}>{label}</label>
      <input
        id={`${id}-input`}
        type="search"
        role="combobox"
        autoComplete="off"
        placeholder="Type part of a CI name…"
        aria-expanded={shown}
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={shown && options[active] ? `${id}-opt-${active}` : undefined}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setOpen(true);
          setActive(0);
        }}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onFocus={() => setOpen(true)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter') {
            if (shown && options.length > 0) {
              e.preventDefault();
              pick(active);
            }
          } else if (e.key === 'Escape') {
            setOpen(false);
          }
        }}
      />
      {shown && (
        <ul id={`${id}-list`} role="listbox" className="picker-list" aria-label={`${label}: matches`}>
          {q.error && <li className="picker-msg">{q.error.message}</li>}
          {!q.error && q.data && options.length === 0 && <li className="picker-msg">No CI matches “{term}”.</li>}
          {options.map((c, i) => (
            <li
              key={c.id}
              id={`${id}-opt-${i}`}
              role="option"
              aria-selected={i === active}
              className={i === active ? 'active' : undefined}
              onMouseDown={(e) => {
                e.preventDefault();
                pick(i);
              }}
            >
              <span className="name">{c.name}</span> <span className="muted">{c.class}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
