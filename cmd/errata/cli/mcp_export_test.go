package cli

// OpenReadOnly exposes openReadOnly to the package's external tests.
var OpenReadOnly = openReadOnly
