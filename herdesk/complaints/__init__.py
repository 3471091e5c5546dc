"""Complaints as a workflow: assessment, containment, root cause, CAPA with effectiveness checks
(CMP-1..4, issue #16)."""
