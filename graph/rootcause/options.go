package rootcause

import "time"

// Options tunes the model. The zero value means "use the defaults", field
// by field, so callers pass Options{} and override what they know better
// (for example a measured detection rate).
type Options struct {
	// Limit is how many candidates Rank returns: 0 means 10, negative all.
	Limit int
	// Detection is the prior probability that a CI hit DOWN raises an
	// incident; DetectionDegraded the same for DEGRADED. Defaults 0.8 and
	// 0.7: most outages of monitored CIs raise something, degradations
	// less often.
	Detection, DetectionDegraded float64
	// NoiseShare is the expected share of incident CIs unrelated to the
	// root cause; it sets the prior noise rate per CI. Default 0.2.
	NoiseShare float64
	// Burst is the typical delay between a failure and the incidents it
	// causes. Default 10 minutes.
	Burst time.Duration
	// ChangeShare is the prior share of failures caused by a change to the
	// failing CI. Default 0.3.
	ChangeShare float64
	// ChangeDelay is the typical delay between a causal change's end and
	// the first incident. Default 30 minutes.
	ChangeDelay time.Duration
	// ChangeLookback ignores changes that ended longer ago. Default 24h.
	ChangeLookback time.Duration
	// FailedChange multiplies a failed change's odds. Default 3.
	FailedChange float64
	// NearChange is the share of causal changes recorded on a CI one
	// relation away from the one that broke (the host, the application
	// rather than its pod...); it is split among the candidate's
	// neighbours. Default 0.3.
	NearChange float64
	// UniformDetection gives every CI the same detection rates and noise
	// rate, as fixed numbers: the model before coverage was learned,
	// kept so the accuracy harness can show what learning buys.
	UniformDetection bool
	// KnownErrorShare is the prior share of failures that hit a CI with a
	// documented known error. Default 0.2.
	KnownErrorShare float64
}

func (o Options) withDefaults() Options {
	def := func(v *float64, d float64) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Limit == 0 {
		o.Limit = 10
	}
	def(&o.Detection, 0.8)
	def(&o.DetectionDegraded, 0.7)
	def(&o.NoiseShare, 0.2)
	defDur(&o.Burst, 10*time.Minute)
	def(&o.ChangeShare, 0.3)
	defDur(&o.ChangeDelay, 30*time.Minute)
	defDur(&o.ChangeLookback, 24*time.Hour)
	def(&o.FailedChange, 3)
	def(&o.NearChange, 0.3)
	def(&o.KnownErrorShare, 0.2)
	o.Detection = clamp(o.Detection, 0.05, 0.99)
	o.DetectionDegraded = clamp(o.DetectionDegraded, 0.05, 0.99)
	o.NoiseShare = clamp(o.NoiseShare, 0.001, 0.9)
	o.ChangeShare = clamp(o.ChangeShare, 0.001, 0.999)
	o.KnownErrorShare = clamp(o.KnownErrorShare, 0.001, 0.999)
	return o
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }
