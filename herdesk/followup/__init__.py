"""回访 follow-up work, surveys, customer ratings and the low-score review (复盘): CLS-2, QA-2 (issue #16)."""
