package cli

// Internals the external tests check directly.
var BuildInfoFrom = buildInfoFrom
var RoundSeconds = roundSeconds
