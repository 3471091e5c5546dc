"""Signals of the ticket services for the feature layers above them (which tickets may not import).

`ticket_created` is sent inside the creating transaction once a ticket's row, first timeline entry
and clocks are written (the row is inserted without model signals, see `rows_insert`). Receivers
that write should defer to `transaction.on_commit`, as the complaints app does.
"""

from django.dispatch import Signal

ticket_created = Signal()  # kwargs: ticket
