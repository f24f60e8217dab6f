package ingest

// The CPU meters of BenchmarkSync, for BenchmarkImport (package ingest_test).
var (
	BackendCPU = backendCPU
	ProcessCPU = processCPU
)
