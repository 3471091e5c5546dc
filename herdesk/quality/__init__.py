"""The supervision group's inspections: sampling plans, scorecards, reviews, disputes, calibration
and agent scorecards (QA-1, QA-3, KPI-3, issue #17)."""
