"""Decisions: one received message becomes accepted, quarantined or ignored, with a reason an agency can act on."""
