"""Hustings: close-reading quizzes for politics courses."""
