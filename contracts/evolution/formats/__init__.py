"""The outputs of `diff`: console text, Markdown, JSON, JUnit XML and GitHub annotations."""
