"""The studio's compute cycle without Qt: requests, planning, processing, scheduling, the ledger."""
