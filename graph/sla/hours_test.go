package sla

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ripple-cmdb/ripple/graph"
)

func TestParseCalendarErrors(t *testing.T) {
	tests := []struct {
		name, json string
		field, msg string // empty field: valid
	}{
		{"business hours", berlin8x5JSON, "", ""},
		{"always", `{"always":true}`, "", ""},
		{"empty object is 24x7", `{}`, "", ""},
		{"empty weekly is 24x7", `{"timeZone":"UTC","weekly":[]}`, "", ""},
		{"end 24:00", `{"timeZone":"UTC","weekly":[{"days":["FRI"],"start":"20:00","end":"24:00"}]}`, "", ""},
		{"touching entries", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"08:00","end":"12:00"},{"days":["MON"],"start":"12:00","end":"18:00"}]}`, "", ""},
		{"several intervals a day", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"08:00","end":"12:00"},{"days":["MON","TUE"],"start":"13:00","end":"17:00"}]}`, "", ""},
		{"end before start",
			`{"timeZone":"Europe/Berlin","weekly":[{"days":["MON"],"start":"08:00","end":"18:00"},{"days":["TUE"],"start":"08:00","end":"07:00"}]}`,
			"serviceHours.weekly[1].end", "end 07:00 is not after start 08:00"},
		{"empty interval", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"08:00","end":"08:00"}]}`, "serviceHours.weekly[0].end", "not after start"},
		{"unknown zone", `{"timeZone":"Europe/Berln","weekly":[{"days":["MON"],"start":"08:00","end":"18:00"}]}`, "serviceHours.timeZone", `unknown time zone "Europe/Berln"`},
		{"Local zone", `{"timeZone":"Local","weekly":[{"days":["MON"],"start":"08:00","end":"18:00"}]}`, "serviceHours.timeZone", "Local is not allowed"},
		{"zone required", `{"weekly":[{"days":["MON"],"start":"08:00","end":"18:00"}]}`, "serviceHours.timeZone", "time zone is required"},
		{"overlap", `{"timeZone":"UTC","weekly":[{"days":["MON","TUE"],"start":"08:00","end":"18:00"},{"days":["TUE"],"start":"17:00","end":"20:00"}]}`,
			"serviceHours.weekly[1]", "TUE 17:00-20:00 overlaps weekly[0] 08:00-18:00"},
		{"unknown day", `{"timeZone":"UTC","weekly":[{"days":["MON","MOX"],"start":"08:00","end":"18:00"}]}`, "serviceHours.weekly[0].days[1]", `unknown day "MOX"`},
		{"duplicate day", `{"timeZone":"UTC","weekly":[{"days":["MON","mon"],"start":"08:00","end":"18:00"}]}`, "serviceHours.weekly[0].days[1]", "listed twice"},
		{"no days", `{"timeZone":"UTC","weekly":[{"days":[],"start":"08:00","end":"18:00"}]}`, "serviceHours.weekly[0].days", "at least one day"},
		{"start 24:00", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"24:00","end":"24:00"}]}`, "serviceHours.weekly[0].start", "not a time of day"},
		{"one-digit hour", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"8:00","end":"18:00"}]}`, "serviceHours.weekly[0].start", "want HH:MM"},
		{"minute 60", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"08:00","end":"12:60"}]}`, "serviceHours.weekly[0].end", "not a time of day"},
		{"end 24:30", `{"timeZone":"UTC","weekly":[{"days":["MON"],"start":"08:00","end":"24:30"}]}`, "serviceHours.weekly[0].end", "not a time of day"},
		{"bad holiday", `{"timeZone":"UTC","holidays":["2026-12-24","2026-02-30"]}`, "serviceHours.holidays[1]", `"2026-02-30" is not a date`},
		{"always with weekly", `{"always":true,"timeZone":"UTC","weekly":[{"days":["MON"],"start":"08:00","end":"18:00"}]}`, "serviceHours.always", "cannot be combined"},
		{"unknown key", `{"timeZone":"UTC","holiday":["2026-12-24"]}`, "serviceHours", `unknown field "holiday"`},
		{"wrong type", `{"timeZone":"UTC","weekly":[{"days":"MON","start":"08:00","end":"18:00"}]}`, "serviceHours.weekly.days", "want a JSON []string"},
		{"trailing data", `{} {}`, "serviceHours", "trailing data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCalendar("serviceHours", []byte(tt.json))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if graph.ErrorCode(err) != graph.CodeInvalidInput || graph.ErrorField(err) != tt.field || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v (code %s, field %q), want INVALID_INPUT on %q containing %q",
					err, graph.ErrorCode(err), graph.ErrorField(err), tt.field, tt.msg)
			}
		})
	}
}

func TestValidateWithoutPrefix(t *testing.T) {
	err := ServiceHours{TimeZone: "UTC", Weekly: []WeeklyHours{{Days: []string{"MON"}, Start: "09:00", End: "08:00"}}}.Validate("")
	if graph.ErrorField(err) != "weekly[0].end" {
		t.Fatalf("field %q, want weekly[0].end (%v)", graph.ErrorField(err), err)
	}
}

func TestCalendarKeepsItsDefinition(t *testing.T) {
	h := ServiceHours{TimeZone: "Europe/Berlin", Weekly: []WeeklyHours{{Days: []string{"mon"}, Start: "08:00", End: "18:00"}}, Holidays: []string{"2026-12-25"}}
	c, err := NewCalendar("", h)
	if err != nil {
		t.Fatal(err)
	}
	h.Weekly[0].Days[0] = "sun" // the calendar must not see later changes
	h.Holidays[0] = "2026-01-01"
	want := ServiceHours{TimeZone: "Europe/Berlin", Weekly: []WeeklyHours{{Days: []string{"MON"}, Start: "08:00", End: "18:00"}}, Holidays: []string{"2026-12-25"}}
	if got := c.ServiceHours(); !reflect.DeepEqual(got, want) {
		t.Fatalf("ServiceHours() = %+v, want %+v", got, want)
	}
	if c.IsAlways() || c.Location().String() != "Europe/Berlin" {
		t.Fatalf("IsAlways %v, Location %v", c.IsAlways(), c.Location())
	}
	if got := ServiceTime(c, local(t, c.Location(), "2026-03-02 00:00"), local(t, c.Location(), "2026-03-03 00:00")); got != 10*time.Hour {
		t.Fatalf("Monday has %v of service, want 10h", got)
	}
	var nilCal *Calendar
	if !nilCal.IsAlways() || !Always().IsAlways() || !mustCal(t, `{}`).IsAlways() {
		t.Fatal("nil, Always() and {} must be 24x7")
	}
}

func TestLimits(t *testing.T) {
	h := ServiceHours{TimeZone: "UTC"}
	for i := 0; i <= MaxHolidays; i++ {
		h.Holidays = append(h.Holidays, time.Date(2000, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly))
	}
	if err := h.Validate("sh"); graph.ErrorField(err) != "sh.holidays" {
		t.Fatalf("too many holidays: %v", err)
	}
	if !errors.Is(ErrNoServiceTime, ErrNoServiceTime) || graph.ErrorCode(ErrNoServiceTime) != graph.CodeInvalidInput {
		t.Fatal("ErrNoServiceTime must be an INVALID_INPUT domain error")
	}
}
