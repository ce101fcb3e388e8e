package githubfake

// checkRunChanged is told of every check run created or changed.
func (s *Server) checkRunChanged(cr *checkRun, sender string) {}
