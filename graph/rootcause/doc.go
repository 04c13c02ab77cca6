// Package rootcause ranks the CIs that could explain a set of open
// incidents. It is pure Go over a subgraph the caller fetched from the store
// (the upstream neighbourhood of the incidents' CIs), the incidents, recent
// changes and known errors; it knows nothing of GraphQL or drivers.
//
// The ranking is Bayesian. For every candidate CI c it asks "if c alone had
// failed, what would we see?": the failure is propagated from c with the
// same rules as impact.Propagate, giving each CI an expected effect (DOWN,
// DEGRADED or none). The observations are then scored against that
// prediction:
//
//   - an impacted CI raises an incident with probability p (symptoms go
//     missing), a CI outside the blast radius with a small noise rate q;
//   - an incident's severity (outage flag, impact 1..3) is more likely under
//     the effect it matches (DOWN ⇒ outage, high impact);
//   - the incidents a cause explains open in a burst after the failure,
//     unrelated ones are spread over the observation window;
//   - a change on c (or right next to it) that ended shortly before the
//     first incident, and a known error on c, raise c's prior odds.
//
// Scores are posterior probabilities over the candidates. The most specific
// explanation wins without a special rule: a cause broader than the truth
// predicts symptoms that did not appear, and each costs log(1-p).
// A candidate's score is only comparable within one ranking.
//
// Accuracy is measured, against baselines and a likelihood oracle, by the
// rcabench harness:
//
//	go test ./bench/rcabench -run '^$' -bench RootCauseAccuracy -benchtime 1x
package rootcause
