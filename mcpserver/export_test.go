package mcpserver

// DropCache empties the brief cache, for benchmarks of the uncached path.
func (s *Server) DropCache() {
	s.cache.mu.Lock()
	s.cache.m = nil
	s.cache.mu.Unlock()
}
