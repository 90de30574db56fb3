"""Commands that set up and keep a collaborative: people (`users`), schema upgrades (`upgrade`),
the audit log (`audit`), JupyterHub (`hub`), change-package versions (`package`) and team-specific
measures (`measure`)."""
