"""CI integrations: generated GitHub Actions and GitLab CI configurations, job summaries."""
