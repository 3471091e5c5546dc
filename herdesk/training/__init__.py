"""Staff training: curriculum, exams, onboarding, monthly sessions, mentors: STF-2 (issue #17)."""
