"""Emergencies: contingency plans, incidents, mass notification, drills: EMG-1, EMG-2 (issue #19)."""
