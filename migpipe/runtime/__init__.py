"""Everything that touches production: migrate, plan, deploy, the approval check.

Nothing here imports the CLI. Credentials come only from the environment,
reach a remote API only in a request header (or a child process's env), and
are never printed.
"""
