"""Field service: equipment registry, work orders, parts, preventive maintenance
(FLD-1..3, CLS-3, issue #19)."""
