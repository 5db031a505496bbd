"""One module per verb; each ``run`` returns the command's exit code."""
