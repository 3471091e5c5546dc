"""The ops app keeps no tables of its own: every number it reports is read from the apps that own
the data (clocks.SweepRun, clocks.Clock, notifications.OutboxMessage), so any process can die
without losing a metric that matters (OPS-2). Request latency counters live in memory per process,
or in Redis when REDIS_URL is set (see herdesk.ops.metrics)."""
