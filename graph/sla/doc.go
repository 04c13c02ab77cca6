// Package sla holds the time arithmetic of service-level management: service
// hours (Calendar), service time between two instants and due times
// (ServiceTime, AddServiceTime), pausable SLA clocks (Clock), calendar
// periods (PeriodContaining) and availability with error budgets
// (MeasureAvailability).
//
// The package is pure: it does no I/O and never reads the system clock;
// every "now" is an argument, so results are reproducible in tests and
// replays.
//
// # Service hours follow the wall clock
//
// An instant is service time when the wall-clock reading of the calendar's
// time zone at that instant (date, weekday and time of day) lies in the
// weekly schedule and the date is not a holiday. Daylight saving time needs
// no special rule, it follows from that one:
//
//   - On the spring-forward day the skipped wall times never happen, so a
//     00:00-24:00 day has 23 hours and 01:00-04:00 in Europe/Berlin has 2.
//   - On the fall-back day the repeated wall times happen twice and count
//     twice, so 00:00-24:00 has 25 hours and 01:00-04:00 in Berlin has 4.
//   - Schedules that stay clear of the transition hour (08:00-18:00, and
//     nearly every real one) see no difference at all.
//
// We chose this over "from the first time the clock shows start until the
// first time it shows end" because it is unambiguous for every zone
// (including zones that change clocks at midnight or skip a whole day) and
// can be checked by brute force, minute by minute, with time.Time.In.
//
// Schedules have minute resolution; instants keep their full nanosecond
// precision. A nil *Calendar means 24x7, the usual default for an SLA without
// service hours.
package sla
