"""No tables on purpose: a text may carry a one-time sign-in code, which must never be stored in
clear (SEC-1). Delivery records, if a provider needs them, belong to that provider's adapter."""
