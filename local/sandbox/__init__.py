"""Stand-ins for the outside world in the local cloud (never deployed): a GOV.UK Notify sandbox and its outbox."""
