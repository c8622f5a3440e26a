"""The resident web: server-rendered GOV.UK Frontend pages over the service definitions (works without JavaScript)."""
