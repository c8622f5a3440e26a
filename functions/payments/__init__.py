"""Payments: every payment attempt, refund and reconciliation. So far: the provider adapters (`payments.adapters`)."""
