package classify

import "testing"

func BenchmarkAnalyze(b *testing.B) {
	issues := make([]Issue, 1000)
	size := 0
	for i := range issues {
		issues[i] = GenIssue(i)
		size += len(issues[i].Body)
	}
	b.SetBytes(int64(size / len(issues)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Analyze(&issues[i%len(issues)])
	}
}

func BenchmarkNormalize(b *testing.B) {
	in := "2025-03-11 10:22:31.123 ERROR Error: connect ECONNREFUSED 127.0.0.1:5432 while calling https://api.example.com/v1/items?id=42 (request 3f2b8c1e-9d4a-4b7e-8f00-1234567890ab)"
	for i := 0; i < b.N; i++ {
		Normalize(in)
	}
}

func BenchmarkClusterOffline10k(b *testing.B) {
	issues := make([]Issue, 10000)
	for i := range issues {
		issues[i] = GenIssue(i)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ClusterOffline(issues)
	}
}
